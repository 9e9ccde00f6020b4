//! Secrets that need more than one line of text to see: credential files known by their name
//! (`.netrc`, `.npmrc`, `.pypirc`, `.pgpass`, `.git-credentials`, kubeconfig, Docker's
//! `config.json`), where a bare password is a secret without a keyword, and file contents that are
//! not UTF-8 text (UTF-16, NUL bytes, binaries), decoded or cut into printable runs. Pure functions
//! over a path and bytes: reading blobs, and deciding which files to read, is `secrets/mod.rs`'s; the line rules are
//! `rules.rs`'s.

use std::sync::OnceLock;

use regex_lite::Regex;

use super::Hit;

/// Bytes of one file that [`scan_bytes`] reads at most; the rest is not scanned (the caller says so).
pub const MAX_SCAN_BYTES: usize = 10 << 20;

/// A file whose name says it holds credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialFile {
    /// What the file is: `netrc`, `npmrc`, `pypirc`, `pgpass`, `git-credentials`, `kubeconfig`,
    /// `docker-config`.
    pub kind: &'static str,
    /// The finding id of a secret found in it by a file rule: `sop-4.9/secret/netrc`.
    pub id: &'static str,
    /// Whether the file holds credentials by its nature, tracked at all (`.pgpass`, `.netrc`,
    /// `.git-credentials`), rather than only when a line in it does (`.npmrc`, `config.json`).
    pub always_secret: bool,
}

/// The credential file `path` names, if any (a repository-relative path, `/`-separated).
pub fn credential_file(path: &str) -> Option<CredentialFile> {
    let path = path.replace('\\', "/");
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let parent = lower.rsplit('/').nth(1).unwrap_or("");
    let (kind, id, always_secret) = match name {
        ".netrc" | "_netrc" => ("netrc", id!("netrc"), true),
        ".npmrc" => ("npmrc", id!("npmrc"), false),
        ".pypirc" => ("pypirc", id!("pypirc"), false),
        ".pgpass" | "pgpass" | "pgpass.conf" => ("pgpass", id!("pgpass"), true),
        ".git-credentials" | "git-credentials" => ("git-credentials", id!("git-credentials"), true),
        "kubeconfig" => ("kubeconfig", id!("kubeconfig"), false),
        "config" if parent == ".kube" => ("kubeconfig", id!("kubeconfig"), false),
        "config.json" if parent == ".docker" || parent == "docker" => ("docker-config", id!("docker-config"), false),
        _ if name.ends_with(".kubeconfig") || name.ends_with(".pgpass") => {
            if name.ends_with(".pgpass") {
                ("pgpass", id!("pgpass"), true)
            } else {
                ("kubeconfig", id!("kubeconfig"), false)
            }
        }
        _ => return None,
    };
    Some(CredentialFile { kind, id, always_secret })
}

const fn file_rule(kind: &'static str, pattern: &'static str) -> (&'static str, &'static str) {
    (kind, pattern)
}

/// Per kind of credential file, the lines whose value is a secret with no keyword or entropy to
/// show it: group 2 is the secret, group 1 the user (or empty).
const FILE_RULES: &[(&str, &str)] = &[
    file_rule("netrc", r"(?-u:\b)(?:login[ \t]+([^\s]+)[ \t]+)?password[ \t]+([^\s]+)"),
    file_rule("pypirc", r"^[ \t]*()password[ \t]*[:=][ \t]*([^\s]+)"),
    file_rule("pgpass", r"^[^#\s:][^\s:]*:[^\s:]+:[^\s:]+:([^\s:]+):([^\s]+)$"),
    file_rule("npmrc", r"(?:^|:)()_password[ \t]*=[ \t]*([^\s]+)"),
    file_rule("kubeconfig", r"^[ \t]*-?[ \t]*()(?:token|password|client-secret)[ \t]*:[ \t]*['\x22]?([^\s'\x22]+)"),
    file_rule("git-credentials", r"^[a-z][a-z0-9+.-]*://([^\s:@/]*):([^\s@]+)@"),
];

fn file_regexes() -> &'static [Regex] {
    static COMPILED: OnceLock<Vec<Regex>> = OnceLock::new();
    // The patterns are constants, checked by a unit test; a failure here is a bug in this file.
    COMPILED.get_or_init(|| {
        FILE_RULES.iter().map(|(_, pattern)| Regex::new(pattern).expect("built-in credential file rule")).collect()
    })
}

/// The secrets on one line of the file at `path`: [`super::scan_line`], plus, in a credential
/// file, the values its format makes secret (a `.pgpass` line's last field, a `.netrc` password).
pub fn scan_path_line(path: &str, line: &str) -> Vec<Hit> {
    scan_file_line(credential_file(path), line)
}

/// [`scan_path_line`] with the file's kind already known ([`credential_file`] of its path), for
/// a caller that scans many lines of one file.
pub fn scan_file_line(file: Option<CredentialFile>, line: &str) -> Vec<Hit> {
    let mut hits = super::scan_line(line);
    let Some(file) = file else { return hits };
    for ((kind, _), regex) in FILE_RULES.iter().zip(file_regexes()) {
        if *kind != file.kind {
            continue;
        }
        for captures in regex.captures_iter(line) {
            let Some(secret) = captures.get(2) else { continue };
            let user = captures.get(1).map_or("", |m| m.as_str());
            if super::is_placeholder_password(user, secret.as_str())
                || hits.iter().any(|hit| hit.span.start < secret.end() && secret.start() < hit.span.end)
            {
                continue;
            }
            hits.push(Hit {
                rule: file_label(file.kind),
                id: file.id,
                span: secret.range(),
                redacted: super::redact(0, secret.as_str()),
                rotate: true,
            });
        }
    }
    hits.sort_by_key(|hit| hit.span.start);
    hits
}

fn file_label(kind: &str) -> &'static str {
    match kind {
        "netrc" => "password in a .netrc file",
        "pypirc" => "password in a .pypirc file",
        "pgpass" => "password in a .pgpass file",
        "npmrc" => "password in an .npmrc file",
        "kubeconfig" => "credential in a kubeconfig",
        "git-credentials" => "password in a .git-credentials file",
        _ => "credential in a credential file",
    }
}

/// How [`scan_bytes`] read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// Not text: the printable runs (ASCII, and UTF-16LE as Windows binaries hold) were scanned.
    Binary,
}

/// What [`scan_bytes`] found in one file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytesScan {
    /// 1-based line numbers (counted in `\n` of the decoded text, or of the raw bytes for a
    /// binary), each with a hit whose span is a byte range of that decoded line or printable run,
    /// not of the file.
    pub hits: Vec<(usize, Hit)>,
    pub encoding: Encoding,
    /// More than [`MAX_SCAN_BYTES`]: only the first that many bytes were scanned.
    pub truncated: bool,
}

/// The shortest printable run of a binary worth scanning (no rule matches less).
const MIN_RUN: usize = 8;

/// Scans a whole file's contents, whatever they are: UTF-8 (a BOM skipped), UTF-16 (a BOM, or
/// NUL bytes interleaved with ASCII), or bytes of a binary, cut into printable runs. For files that
/// `git diff` calls binary, `-diff` or UTF-16, whose added lines the caller cannot see.
pub fn scan_bytes(path: &str, bytes: &[u8]) -> BytesScan {
    let truncated = bytes.len() > MAX_SCAN_BYTES;
    let bytes = &bytes[..bytes.len().min(MAX_SCAN_BYTES)];
    let mut hits = Vec::new();
    let encoding = encoding_of(bytes);
    match encoding {
        Encoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            scan_text(path, &String::from_utf8_lossy(bytes), &mut hits);
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let bytes = bytes.strip_prefix(b"\xFF\xFE").or_else(|| bytes.strip_prefix(b"\xFE\xFF")).unwrap_or(bytes);
            let units = bytes.chunks_exact(2).map(|pair| match encoding {
                Encoding::Utf16Le => u16::from_le_bytes([pair[0], pair[1]]),
                _ => u16::from_be_bytes([pair[0], pair[1]]),
            });
            let text: String = char::decode_utf16(units).map(|unit| unit.unwrap_or('\u{FFFD}')).collect();
            scan_text(path, &text, &mut hits);
        }
        Encoding::Binary => scan_binary(path, bytes, &mut hits),
    }
    BytesScan { hits, encoding, truncated }
}

fn scan_text(path: &str, text: &str, hits: &mut Vec<(usize, Hit)>) {
    for (index, line) in text.lines().enumerate() {
        hits.extend(scan_path_line(path, line).into_iter().map(|hit| (index + 1, hit)));
    }
}

/// UTF-8 unless a BOM or the NUL bytes say UTF-16; binary if NUL bytes remain unexplained or the
/// text is not UTF-8.
fn encoding_of(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(b"\xFF\xFE") {
        return Encoding::Utf16Le;
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Encoding::Utf16Be;
    }
    let sample = &bytes[..bytes.len().min(4096)];
    let nul_at = |parity: usize| sample.iter().skip(parity).step_by(2).filter(|byte| **byte == 0).count();
    let pairs = sample.len() / 2;
    if pairs >= 2 {
        let (even, odd) = (nul_at(0), nul_at(1));
        // ASCII text in UTF-16: every other byte is NUL, the others almost never.
        if odd * 10 >= pairs * 9 && even * 20 <= pairs {
            return Encoding::Utf16Le;
        }
        if even * 10 >= pairs * 9 && odd * 20 <= pairs {
            return Encoding::Utf16Be;
        }
    }
    if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        Encoding::Utf8
    } else {
        Encoding::Binary
    }
}

fn printable(byte: u8) -> bool {
    byte.is_ascii_graphic() || byte == b' ' || byte == b'\t'
}

/// Scans the printable ASCII runs of a binary, and its UTF-16LE runs (a printable byte then NUL).
fn scan_binary(path: &str, bytes: &[u8], hits: &mut Vec<(usize, Hit)>) {
    let mut line = 1;
    let mut start = 0;
    let mut index = 0;
    while index <= bytes.len() {
        let byte = bytes.get(index).copied();
        if byte.is_some_and(printable) {
            index += 1;
            continue;
        }
        if index - start >= MIN_RUN {
            let run = String::from_utf8_lossy(&bytes[start..index]);
            hits.extend(scan_path_line(path, &run).into_iter().map(|hit| (line, hit)));
        }
        if byte == Some(b'\n') {
            line += 1;
        }
        index += 1;
        start = index;
    }
    // UTF-16LE strings: `k\0e\0y\0`.
    let mut run = String::new();
    let mut run_line = 1;
    let mut line = 1;
    let mut position = 0;
    while position + 1 < bytes.len() {
        let (low, high) = (bytes[position], bytes[position + 1]);
        if high == 0 && printable(low) {
            if run.is_empty() {
                run_line = line;
            }
            run.push(char::from(low));
            position += 2;
            continue;
        }
        flush_utf16_run(path, &mut run, run_line, hits);
        if low == b'\n' {
            line += 1;
        }
        position += 1;
    }
    flush_utf16_run(path, &mut run, run_line, hits);
}

fn flush_utf16_run(path: &str, run: &mut String, line: usize, hits: &mut Vec<(usize, Hit)>) {
    if run.len() >= MIN_RUN {
        hits.extend(scan_path_line(path, run).into_iter().map(|hit| (line, hit)));
    }
    run.clear();
}
