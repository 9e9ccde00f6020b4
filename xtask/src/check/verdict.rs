//! `check`'s whole verdict: its findings, reused while nothing `check` could read has changed
//! (`tree_memo.rs` says what that is and how it is kept). The verdict is stored redacted, as it
//! is printed; what `--update-baseline` needs (the findings' reviewer labels) is not stored, and
//! that option always runs the rules.

use super::{Finding, Report, Severity};
use crate::cache::{put_bytes, put_u64, Codec as _, Reader};
use crate::ctx::Ctx;
use crate::tree_memo::{self, Fingerprint};

const COMMAND: &str = "verdict";

/// The fingerprint of a `check` run with these options (`None`: nothing can be reused).
/// Beyond the working tree, `check` reads the remote's branches: a missing dependency that is a
/// teammate's slice in flight is named as such.
pub fn fingerprint(ctx: &Ctx, branch_rules: bool) -> Option<Fingerprint> {
    let limit = tree_memo::settle_limit()?;
    let common = ctx.repo.common_dir();
    let mut extra = vec![u8::from(branch_rules)];
    let mut settled = tree_memo::put_file(&mut extra, &common.join("packed-refs"), limit);
    settled &= tree_memo::put_folder(&mut extra, &common.join("refs/remotes").join(&ctx.config.remote), limit)?;
    settled &= tree_memo::put_folder(&mut extra, &common.join("reftable"), limit)?;
    tree_memo::fingerprint(ctx, COMMAND, &extra, settled)
}

/// The stored verdict of this fingerprint: the report, and how many derivations it stands for.
pub fn load(ctx: &Ctx, print: &Fingerprint) -> Option<(Report, u64)> {
    let bytes = tree_memo::load(ctx, COMMAND, print)?;
    let mut input = Reader::new(&bytes);
    let derivations = input.u64()?;
    let count = input.u64()?;
    let mut findings = Vec::new();
    for _ in 0..count {
        findings.push(decode_finding(&mut input)?);
    }
    let secret_scope = input.str()?.to_string();
    input.is_empty().then_some((Report { findings, secret_scope, checklist: None }, derivations))
}

/// Keeps `report`, redacted, for the next run with this fingerprint (when it is settled).
pub fn store(ctx: &Ctx, print: &Fingerprint, report: &Report, derivations: u64) {
    let report = report.redacted();
    let mut bytes = Vec::new();
    put_u64(&mut bytes, derivations);
    put_u64(&mut bytes, report.findings.len() as u64);
    for finding in &report.findings {
        encode_finding(&mut bytes, finding);
    }
    put_bytes(&mut bytes, report.secret_scope.as_bytes());
    tree_memo::store(ctx, COMMAND, print, &bytes);
}

/// A finding as the per-document cache encodes it (`check/mod.rs`), then its fingerprint.
fn encode_finding(out: &mut Vec<u8>, finding: &Finding) {
    finding.encode(out);
    finding.fingerprint.encode(out);
}

/// What [`encode_finding`] wrote. Not the cache's own decoder, which admits only the rules it
/// caches: a verdict holds every rule's findings.
fn decode_finding(input: &mut Reader<'_>) -> Option<Finding> {
    let rule = rule_id(input.str()?)?;
    let severity = match input.u64()? {
        1 => Severity::Error,
        0 => Severity::Warning,
        _ => return None,
    };
    let location = Option::<String>::decode(input)?;
    let (message, hint) = (input.str()?.to_string(), input.str()?.to_string());
    let fingerprint = Option::<String>::decode(input)?;
    Some(Finding { rule, severity, location, message, hint, fingerprint, accept_as: None })
}

/// A stored rule id as the `&'static str` findings carry: every id is an SOP section and a
/// slug (`sop-4.9/secret/github-token`); anything else makes the file foreign. The rules' ids
/// are spread over the rule modules and the scanner's crate, so a stored one is kept for the
/// process's life, once per distinct id (a few dozen at most).
fn rule_id(stored: &str) -> Option<&'static str> {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    let shaped = stored.len() <= 96
        && stored.starts_with("sop-")
        && stored.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'/'));
    if !shaped {
        return None;
    }
    static IDS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut ids = IDS.get_or_init(Default::default).lock().ok()?;
    if let Some(id) = ids.get(stored) {
        return Some(id);
    }
    let id: &'static str = Box::leak(stored.to_string().into_boxed_str());
    ids.insert(id);
    Some(id)
}
