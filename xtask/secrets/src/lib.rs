//! The secret scanner's detection rules: which text on a line is a secret, what it is (a rule id
//! and a provider name the engineer can act on), and how to describe it without the secret. Pure
//! functions over one line; what is scanned, and what is silenced, is the xtask's
//! `check/secrets/mod.rs`. Files recognised by name and undecoded bytes are `files.rs`'s, which
//! calls back into this file. A crate of its own so that it is compiled with optimisations even
//! in the dev profile `cargo xtask` runs, without slowing the rebuild of the xtask itself.
//!
//! Speed: a line is first screened for the literal needles of every rule in one pass (a table of
//! two-byte prefixes), and only the rules whose needles occur run their regular expression. Almost
//! every line of a diff holds none and costs one pass over its bytes.

use std::ops::Range;
use std::sync::OnceLock;

use regex_lite::{Captures, Regex};

/// A rule's finding id: `id!("github-token")` is `sop-4.9/secret/github-token`. Every id starts
/// with the scanner's former single id, so a filter on `sop-4.9/secret` still selects them all.
macro_rules! id {
    ($slug:literal) => {
        concat!("sop-4.9/secret/", $slug)
    };
}

pub mod files;
#[cfg(test)]
mod tests;

/// What a rule checks beyond its pattern before a match counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The pattern is precise enough.
    None,
    /// The secret must look random (assignments whose keyword is all we know).
    Entropy,
    /// The secret must not be a placeholder (`${VAR}`, `<token>`, `xxx`, `changeme`).
    NotPlaceholder,
    /// Group 1 is a user name, group 2 its password: not a placeholder nor a default credential.
    Password,
    /// The secret is base64 of `user:password`.
    BasicAuth,
    /// A private key's header, unless it is a string constant naming the header.
    KeyHeader,
    /// A password too short for [`Check::Entropy`]'s bar: judged by its make-up
    /// ([`is_short_password`]).
    ShortPassword,
}

/// Which cheap test of the whole line must pass before the rule's regex runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// One of the rule's needles occurs.
    Needle,
    /// A needle occurs and so does this byte.
    NeedleAnd(u8),
    /// A needle occurs and the line holds a run of at least this many hex digits.
    NeedleAndHexRun(usize),
}

/// One built-in rule.
pub struct Rule {
    /// What the engineer reads: a provider and a kind (`GitHub token`).
    pub name: &'static str,
    /// The rule's finding id: `sop-4.9/secret/github-token`.
    pub id: &'static str,
    /// ASCII-only patterns: `regex-lite` has no Unicode classes.
    pattern: &'static str,
    /// The capture group that is the secret (0: the whole match).
    group: usize,
    /// Literal substrings, one of which every match holds. Compared ignoring ASCII case, unless
    /// the needle holds an upper-case letter: then exactly (`SG.` is not `msg.`).
    needles: &'static [&'static str],
    screen: Screen,
    /// How many leading characters of the secret are safe to show (a token's type prefix).
    shown: usize,
    check: Check,
    /// Whether the finding tells the engineer to rotate it (false for identifiers).
    rotate: bool,
}

const fn rule(name: &'static str, id: &'static str, pattern: &'static str, needles: &'static [&'static str]) -> Rule {
    Rule { name, id, pattern, group: 0, needles, screen: Screen::Needle, shown: 0, check: Check::None, rotate: true }
}

impl Rule {
    const fn shown(mut self, shown: usize) -> Self {
        self.shown = shown;
        self
    }
    const fn group(mut self, group: usize) -> Self {
        self.group = group;
        self
    }
    const fn check(mut self, check: Check) -> Self {
        self.check = check;
        self
    }
    const fn screen(mut self, screen: Screen) -> Self {
        self.screen = screen;
        self
    }
    const fn identifier(mut self) -> Self {
        self.rotate = false;
        self
    }
}

/// The keywords of the generic assignment rules (a macro so that patterns can `concat!` it).
macro_rules! keyword {
    () => {
        r"(?i-u:passwords?|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key|client[_-]?key|app[_-]?key|master[_-]?key|signing[_-]?key|encryption[_-]?key|account[_-]?key|storage[_-]?key|subscription[_-]?key|credentials?)"
    };
}

/// The needles of [`keyword!`].
const KEYWORD_NEEDLES: &[&str] =
    &["password", "passwd", "passphrase", "pwd", "secret", "token", "api", "key", "credential"];

/// The rules, most precise first: where two hits overlap, the earlier rule's is kept.
pub const RULES: &[Rule] = &[
    rule("private key", id!("private-key"), r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY( BLOCK)?-----", &["-----BEGIN"])
        .check(Check::KeyHeader),
    rule("PuTTY private key", id!("private-key"), r"PuTTY-User-Key-File-[0-9]+:", &["PuTTY-User-Key-File-"]),
    rule("age secret key", id!("age-secret-key"), r"AGE-SECRET-KEY-1[0-9A-Z]{58}", &["AGE-SECRET-KEY-1"]),
    rule(
        "AWS access key id",
        id!("aws-access-key-id"),
        r"(?-u:\b)(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[0-9A-Z]{16}(?-u:\b)",
        &["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA"],
    )
    .shown(4),
    rule(
        "AWS secret access key",
        id!("aws-secret-access-key"),
        r#"(?i-u:aws)[A-Za-z0-9_.-]{0,20}(?i-u:secret)[A-Za-z0-9_.-]{0,20}["'\]]{0,2}[ \t]*(?::[ \t]*&?[A-Za-z_]{1,20}[ \t]*)?(?::=|=>|=|:|,)[ \t]*["']?([A-Za-z0-9/+]{40})(?-u:\b)"#,
        &["aws"],
    )
    .group(1),
    rule("Google API key", id!("google-api-key"), r"AIza[0-9A-Za-z_-]{35}", &["AIza"]).shown(4),
    rule("Azure storage key", id!("azure-storage-key"), r"AccountKey=([A-Za-z0-9+/]{86}==)", &["accountkey="])
        .group(1),
    rule(
        "Azure shared access key",
        id!("azure-shared-access-key"),
        r"SharedAccessKey=([A-Za-z0-9+/]{42,43}=)",
        &["sharedaccesskey="],
    )
    .group(1),
    rule("GitHub token", id!("github-token"), r"(?-u:\b)(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}", &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])
        .shown(4),
    rule("GitHub token", id!("github-token"), r"github_pat_[A-Za-z0-9_]{60,255}", &["github_pat_"]).shown(11),
    rule(
        "GitLab token",
        id!("gitlab-token"),
        r"(?-u:\b)gl(pat|ptt|rt|dt|cbt|oas|ft|imt|agent|soat)-[A-Za-z0-9_-]{20,}",
        &["glpat-", "glptt-", "glrt-", "gldt-", "glcbt-", "gloas-", "glft-", "glimt-", "glagent-", "glsoat-"],
    )
    .shown(6),
    rule("Slack token", id!("slack-token"), r"(?-u:\b)xox[abposre]-[A-Za-z0-9-]{10,}", &["xox"]).shown(5),
    rule("Slack app token", id!("slack-token"), r"(?-u:\b)xapp-[0-9]-[A-Za-z0-9-]{20,}", &["xapp-"]).shown(5),
    rule(
        "Slack webhook",
        id!("slack-webhook"),
        r"https://hooks\.slack\.com/(services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}",
        &["hooks.slack.com"],
    ),
    rule(
        "Discord webhook",
        id!("discord-webhook"),
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{15,25}/[A-Za-z0-9_-]{40,}",
        &["discord"],
    ),
    rule("Stripe secret key", id!("stripe-secret-key"), r"(?-u:\b)(sk|rk)_live_[0-9A-Za-z]{20,}", &["_live_"]).shown(8),
    rule(
        "Anthropic API key",
        id!("anthropic-api-key"),
        r"(?-u:\b)sk-ant-[a-z0-9]{2,10}-[A-Za-z0-9_-]{32,}",
        &["sk-ant-"],
    )
    .shown(7),
    rule(
        "OpenAI API key",
        id!("openai-api-key"),
        r"(?-u:\b)sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{48}(?-u:\b))",
        &["sk-"],
    )
    .shown(3)
    .check(Check::Entropy),
    rule("SendGrid API key", id!("sendgrid-api-key"), r"(?-u:\b)SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}", &["SG."])
        .shown(3),
    rule("npm token", id!("npm-token"), r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)", &["npm_"]).shown(4),
    rule("PyPI token", id!("pypi-token"), r"(?-u:\b)pypi-[A-Za-z0-9_-]{40,}", &["pypi-"]).shown(5).check(Check::Entropy),
    rule("Twilio API key", id!("twilio-api-key"), r"(?-u:\b)SK[0-9a-f]{32}(?-u:\b)", &["SK"])
        .screen(Screen::NeedleAndHexRun(32))
        .shown(2),
    rule("Twilio account SID", id!("twilio-account-sid"), r"(?-u:\b)AC[0-9a-f]{32}(?-u:\b)", &["AC"])
        .screen(Screen::NeedleAndHexRun(32))
        .shown(2)
        .identifier(),
    rule("Hugging Face token", id!("huggingface-token"), r"(?-u:\b)hf_[A-Za-z0-9]{30,40}(?-u:\b)", &["hf_"])
        .shown(3)
        .check(Check::Entropy),
    rule("Shopify token", id!("shopify-token"), r"(?-u:\b)shp(at|ss|ca|pa)_[a-fA-F0-9]{32}", &["shpat_", "shpss_", "shpca_", "shppa_"])
        .shown(6),
    rule("DigitalOcean token", id!("digitalocean-token"), r"(?-u:\b)do[por]_v1_[a-f0-9]{64}", &["dop_v1_", "doo_v1_", "dor_v1_"])
        .shown(7),
    rule("HashiCorp Vault token", id!("vault-token"), r"(?-u:\b)hv[sbr]\.[A-Za-z0-9_-]{24,}", &["hvs.", "hvb.", "hvr."]).shown(4),
    rule(
        "HashiCorp Vault token",
        id!("vault-token"),
        r"(?i-u:vault)[^\n]{0,40}(?-u:\b)(s\.[A-Za-z0-9]{24})(?-u:\b)",
        &["vault"],
    )
    .group(1)
    .shown(2)
    .check(Check::Entropy),
    rule("Grafana token", id!("grafana-token"), r"(?-u:\b)glc_[A-Za-z0-9+/]{32,400}={0,2}", &["glc_"]).shown(4),
    rule("Grafana service account token", id!("grafana-token"), r"(?-u:\b)glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", &["glsa_"])
        .shown(5),
    rule("Databricks token", id!("databricks-token"), r"(?-u:\b)dapi[a-f0-9]{32}(-[0-9]+)?(?-u:\b)", &["dapi"]).shown(4),
    rule("Linear API key", id!("linear-api-key"), r"(?-u:\b)lin_api_[A-Za-z0-9]{40}(?-u:\b)", &["lin_api_"]).shown(8),
    rule("Mailgun API key", id!("mailgun-api-key"), r"(?-u:\b)key-[0-9a-f]{32}(?-u:\b)", &["key-"])
        .screen(Screen::NeedleAndHexRun(32))
        .shown(4),
    rule("Mailchimp API key", id!("mailchimp-api-key"), r"(?-u:\b)[0-9a-f]{32}-us[0-9]{1,2}(?-u:\b)", &["-us"])
        .screen(Screen::NeedleAndHexRun(32)),
    rule("Telegram bot token", id!("telegram-bot-token"), r"(?-u:\b)[0-9]{8,10}:AA[A-Za-z0-9_-]{33}(?-u:\b)", &[":AA"]),
    rule("Square token", id!("square-token"), r"(?-u:\b)sq0(atp|csp)-[A-Za-z0-9_-]{22,43}", &["sq0atp-", "sq0csp-"]).shown(7),
    rule("New Relic key", id!("newrelic-key"), r"(?-u:\b)NR(AK|AA|II)-[A-Z0-9]{27}(?-u:\b)", &["NRAK-", "NRAA-", "NRII-"]).shown(5),
    rule("Atlassian API token", id!("atlassian-api-token"), r"(?-u:\b)ATATT3[A-Za-z0-9_=-]{100,}", &["ATATT3"]).shown(6),
    rule("Docker Hub token", id!("dockerhub-token"), r"(?-u:\b)dckr_pat_[A-Za-z0-9_-]{27,}", &["dckr_pat_"]).shown(9),
    rule("Postman API key", id!("postman-api-key"), r"(?-u:\b)PMAK-[a-f0-9]{24}-[a-f0-9]{34}(?-u:\b)", &["PMAK-"]).shown(5),
    rule("Sentry token", id!("sentry-token"), r"(?-u:\b)(sntrys_eyJ[A-Za-z0-9+/=_-]{60,}|sntryu_[a-f0-9]{64})", &["sntrys_", "sntryu_"])
        .shown(7),
    rule("Doppler token", id!("doppler-token"), r"(?-u:\b)dp\.(pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}", &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."])
        .shown(6),
    rule("Pulumi token", id!("pulumi-token"), r"(?-u:\b)pul-[a-f0-9]{40}(?-u:\b)", &["pul-"]).shown(4),
    rule("Tailscale key", id!("tailscale-key"), r"(?-u:\b)tskey-[a-z]{3,10}-[A-Za-z0-9]{6,}-[A-Za-z0-9]{16,}", &["tskey-"]).shown(6),
    rule("Supabase token", id!("supabase-token"), r"(?-u:\b)sbp_[a-f0-9]{40}(?-u:\b)", &["sbp_"]).shown(4),
    rule("Figma token", id!("figma-token"), r"(?-u:\b)figd_[A-Za-z0-9_-]{40,}", &["figd_"]).shown(5),
    rule("Mapbox secret token", id!("mapbox-token"), r"(?-u:\b)sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}", &["sk.eyJ"]).shown(3),
    rule("Heroku API key", id!("heroku-api-key"), r"(?-u:\b)HRKU-[A-Za-z0-9_-]{60}", &["HRKU-"]).shown(5),
    rule("Fly.io token", id!("flyio-token"), r"(?-u:\b)(fo1_[A-Za-z0-9_-]{43}|fm2_[A-Za-z0-9+/=_-]{100,})", &["fo1_", "fm2_"]).shown(4),
    rule("Alibaba Cloud access key id", id!("alibaba-access-key-id"), r"(?-u:\b)LTAI[A-Za-z0-9]{12,20}(?-u:\b)", &["LTAI"])
        .shown(4)
        .check(Check::Entropy),
    rule(
        "JSON Web Token",
        id!("jwt"),
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        &["eyJ"],
    )
    .shown(3),
    rule(
        "Kubernetes client key",
        id!("kubernetes-client-key"),
        r"client-key-data:[ \t]*([A-Za-z0-9+/]{40,}={0,2})",
        &["client-key-data:"],
    )
    .group(1),
    rule(
        "registry credentials (base64 user:password)",
        id!("registry-auth"),
        r#""auth"[ \t]*:[ \t]*"([A-Za-z0-9+/]{8,}={0,2})""#,
        &["\"auth\""],
    )
    .group(1)
    .check(Check::BasicAuth),
    rule(
        "npm registry credentials",
        id!("npm-auth"),
        r#"(?:^|[:\s])_(?:auth|password)[ \t]*=[ \t]*["']?([A-Za-z0-9+/]{8,}={0,2})"#,
        &["_auth", "_password"],
    )
    .group(1)
    .check(Check::BasicAuth),
    rule(
        "npm registry token",
        id!("npm-token"),
        r#"(?:^|[:\s])_authToken[ \t]*=[ \t]*["']?([A-Za-z0-9._~+/-]{16,}=*)"#,
        &["_authtoken"],
    )
    .group(1)
    .check(Check::NotPlaceholder),
    rule(
        "credentials in a URL",
        id!("url-credentials"),
        r#"(?i-u:[a-z][a-z0-9+.-]{1,20})://([^\s:@/?#'"`<>(){}\[\]]{0,64}):([^\s@/?#'"`<>]{1,128})@[A-Za-z0-9_\[-]"#,
        &["://"],
    )
    .screen(Screen::NeedleAnd(b'@'))
    .group(2)
    .check(Check::Password),
    rule(
        "credentials on a curl command line",
        id!("cli-credentials"),
        r#"(?-u:\b)curl[ \t][^\n]*?(?:-u|--user)[ \t=]*["']?([^\s:"'`$]{1,64}):([^\s"'`]{1,128})"#,
        &["curl"],
    )
    .group(2)
    .check(Check::Password),
    rule(
        "netrc credentials",
        id!("netrc-credentials"),
        r"(?-u:\b)machine[ \t]+[^\s]+[ \t]+login[ \t]+([^\s`]+)[ \t]+password[ \t]+([^\s`]+)",
        &["machine"],
    )
    .group(2)
    .check(Check::Password),
    rule(
        "Authorization header",
        id!("authorization-header"),
        r"(?i-u:bearer)[ \t]+([A-Za-z0-9._~+/-]{20,}=*)",
        &["bearer"],
    )
    .group(1)
    .check(Check::Entropy),
    rule(
        "Authorization header (basic)",
        id!("authorization-header"),
        r#"(?i-u:authorization)["']?[ \t]*[:=,][ \t]*["']?(?i-u:basic)[ \t]+([A-Za-z0-9+/]{8,}={0,2})"#,
        &["authorization"],
    )
    .group(1)
    .check(Check::BasicAuth),
    // Generic rules last: a provider's rule names the provider.
    rule(
        "secret assignment",
        id!("generic-assignment"),
        concat!(
            keyword!(),
            r#"[A-Za-z0-9_.-]{0,30}(?:["'\]]{0,2}[ \t]*(?::[ \t]*&?(?:'static[ \t]+)?[A-Za-z_][A-Za-z0-9_<>:]{0,30}[ \t]*|[ \t]+[A-Za-z_][A-Za-z0-9_.]{0,20}[ \t]*)?(?::=|=>|=|:)[ \t]*(?:[A-Za-z]?["'`])?)([A-Za-z0-9+/=_.~!@#$%^&*-]{12,})"#
        ),
        KEYWORD_NEEDLES,
    )
    .group(1)
    .check(Check::Entropy),
    // A password of 8 to 11 characters, which the rule above leaves (no 8-character value can
    // reach 3.3 bits a character): only under a password's own name, and only when it ends there.
    rule(
        "secret assignment",
        id!("generic-assignment"),
        concat!(
            r"(?i-u:passwords?|passwd|passphrase|pwd)",
            r#"[A-Za-z0-9_.-]{0,30}(?:["'\]]{0,2}[ \t]*(?::[ \t]*&?(?:'static[ \t]+)?[A-Za-z_][A-Za-z0-9_<>:]{0,30}[ \t]*|[ \t]+[A-Za-z_][A-Za-z0-9_.]{0,20}[ \t]*)?(?::=|=>|=|:)[ \t]*(?:[A-Za-z]?["'`])?)([A-Za-z0-9+/=_.~!@#$%^&*-]{8,11})(?:$|[^A-Za-z0-9+/=_.~!@#$%^&*-])"#
        ),
        &["password", "passwd", "passphrase", "pwd"],
    )
    .group(1)
    .check(Check::ShortPassword),
    rule(
        "secret assignment",
        id!("generic-assignment"),
        concat!(
            r#"(?i-u:key|name)[ \t]*=[ \t]*["'][A-Za-z0-9_.:-]{0,30}"#,
            keyword!(),
            r#"[A-Za-z0-9_.:-]{0,30}["'][ \t]+(?i-u:value)[ \t]*=[ \t]*["']([^"'\s<>]{8,})"#
        ),
        &["value"],
    )
    .group(1)
    .check(Check::Entropy),
    rule(
        "secret assignment",
        id!("generic-assignment"),
        concat!(r"<", keyword!(), r"[A-Za-z0-9_.-]{0,20}>([^<\s]{8,})</"),
        &["</"],
    )
    .group(1)
    .check(Check::Entropy),
];

/// The generic rules' id: their hits are described by the keyword, not a prefix.
const GENERIC: &str = id!("generic-assignment");

/// The needle screen: every needle's first two bytes (lower-cased) index the needles to compare.
struct NeedleTable {
    /// `(first << 8 | second)`, in every case → index + 1 into `buckets` (0: none).
    index: Vec<u16>,
    buckets: Vec<Vec<(&'static [u8], bool, u128)>>,
    /// A bit per `(first << 8 | second)` pair that has a bucket.
    pairs: [u64; 1024],
    /// Whether a byte (either case) starts some needle: most bytes of a line do not, and are
    /// passed over with one load.
    starts: [bool; 256],
}

fn needle_table() -> &'static NeedleTable {
    static TABLE: OnceLock<NeedleTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table =
            NeedleTable { index: vec![0; 1 << 16], buckets: Vec::new(), pairs: [0; 1024], starts: [false; 256] };
        for (position, rule) in RULES.iter().enumerate() {
            for needle in rule.needles {
                let bytes = needle.as_bytes();
                let exact = bytes.iter().any(u8::is_ascii_uppercase);
                table.starts[usize::from(bytes[0].to_ascii_lowercase())] = true;
                table.starts[usize::from(bytes[0].to_ascii_uppercase())] = true;
                let key = pair_key(bytes[0], bytes[1]);
                if table.index[key] == 0 {
                    table.buckets.push(Vec::new());
                    let bucket = table.buckets.len() as u16;
                    // Every case of the first two bytes leads to the bucket, so the scan looks
                    // the raw bytes up without lower-casing them.
                    for first in [bytes[0].to_ascii_lowercase(), bytes[0].to_ascii_uppercase()] {
                        for second in [bytes[1].to_ascii_lowercase(), bytes[1].to_ascii_uppercase()] {
                            let pair = raw_pair(first, second);
                            table.index[pair] = bucket;
                            table.pairs[pair >> 6] |= 1 << (pair & 63);
                        }
                    }
                }
                let bucket = &mut table.buckets[usize::from(table.index[key]) - 1];
                match bucket.iter_mut().find(|(known, known_exact, _)| *known == bytes && *known_exact == exact) {
                    Some(entry) => entry.2 |= 1 << position,
                    None => bucket.push((bytes, exact, 1 << position)),
                }
            }
        }
        table
    })
}

fn pair_key(first: u8, second: u8) -> usize {
    raw_pair(first.to_ascii_lowercase(), second.to_ascii_lowercase())
}

fn raw_pair(first: u8, second: u8) -> usize {
    (usize::from(first) << 8) | usize::from(second)
}

/// The rules (a bit per rule) whose needles occur on the line.
pub fn candidates(line: &[u8]) -> u128 {
    let table = needle_table();
    let mut mask = 0u128;
    // A plain index loop: this runs over every byte a branch adds, in the unoptimised dev profile.
    let mut start = 0;
    let end = line.len().saturating_sub(1);
    while start < end {
        let first = line[start];
        start += 1;
        if !table.starts[usize::from(first)] {
            continue;
        }
        let pair = (usize::from(first) << 8) | usize::from(line[start]);
        // An 8 KiB bit set (in L1) answers "no needle starts so" before the 128 KiB index is read.
        if table.pairs[pair >> 6] & (1 << (pair & 63)) == 0 {
            continue;
        }
        let slot = table.index[pair];
        if slot == 0 {
            continue;
        }
        let start = start - 1;
        for (needle, exact, rules) in &table.buckets[usize::from(slot) - 1] {
            if mask & rules == *rules {
                continue;
            }
            let Some(text) = line.get(start..start + needle.len()) else { continue };
            if if *exact { text == *needle } else { text.eq_ignore_ascii_case(needle) } {
                mask |= rules;
            }
        }
    }
    mask
}

/// The longest run of ASCII hex digits on the line.
fn longest_hex_run(line: &[u8]) -> usize {
    let (mut longest, mut current) = (0, 0);
    for byte in line {
        current = if byte.is_ascii_hexdigit() { current + 1 } else { 0 };
        longest = longest.max(current);
    }
    longest
}

/// The regular expression of `RULES[position]`, compiled the first time a line needs it: a run
/// whose lines hold only a rule's needles compiles that rule alone (compiling them all costs
/// more than scanning most diffs).
pub fn regex(position: usize) -> &'static Regex {
    static COMPILED: [OnceLock<Regex>; RULES.len()] = [const { OnceLock::new() }; RULES.len()];
    // The patterns are constants, checked by a unit test; a failure here is a bug in this file.
    COMPILED[position].get_or_init(|| Regex::new(RULES[position].pattern).expect("built-in secret rule"))
}

/// Every rule's regular expression, compiled (the tests').
pub fn compiled() -> Vec<&'static Regex> {
    (0..RULES.len()).map(regex).collect()
}

/// A secret found on one line, described without the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// What it is, with the provider's name where known: `GitHub token`.
    pub rule: &'static str,
    /// The rule's finding id: `sop-4.9/secret/github-token`.
    pub id: &'static str,
    /// The byte range of the secret on the line (for redacting text that quotes it).
    pub span: Range<usize>,
    /// `ghp_****` (40 characters): never the value.
    pub redacted: String,
    /// Whether the advice is to rotate it: false for identifiers that are not themselves secret
    /// (a Twilio account SID).
    pub rotate: bool,
}

/// Shannon entropy in bits per character.
pub fn entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for byte in value.bytes() {
        counts[byte as usize] += 1;
    }
    let length = value.len() as f64;
    counts.iter().filter(|count| **count > 0).map(|count| f64::from(*count) / length).map(|p| -p * p.log2()).sum()
}

/// Words and shapes that mark a value as a placeholder, not a secret.
fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let words = [
        "example",
        "changeme",
        "change-me",
        "change_me",
        "placeholder",
        "dummy",
        "xxxx",
        "your",
        "redacted",
        "****",
        "todo",
        "sample",
        "...",
        "${",
        "{{",
        "<",
        ">",
        "%s",
        "%(",
        "replace",
    ];
    let first = value.bytes().next().unwrap_or(b'$');
    words.iter().any(|word| lower.contains(word))
        || matches!(first, b'$' | b'{' | b'<' | b'%' | b'[' | b'(')
        || value.bytes().all(|byte| byte == value.as_bytes()[0])
}

/// Code, not a value: `&TokenStream`, `__IncompleteArrayField`, `process.env.API_KEY`,
/// `self.colon2_token.clone`: a reference, or identifiers made of words, joined by dots.
fn is_code_reference(value: &str) -> bool {
    value.starts_with('&')
        || value.split('.').all(|part| {
            is_identifier_of_words(part)
                || (value.contains('.') && !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// `colon2_token`, `TokenStream`: an identifier whose words (split at `_` and before each capital)
/// are all 3 characters or more and in lower case after the first, with 2 digits at most. Random
/// text breaks into short words (`xKqLm` is `x`, `Kq`, `Lm`).
fn is_identifier_of_words(part: &str) -> bool {
    let bytes = part.as_bytes();
    // `git_utf8_to_16_alloc`: snake case, short words allowed.
    if part.contains('_')
        && bytes.first().is_some_and(|b| b.is_ascii_lowercase() || *b == b'_')
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && bytes.iter().filter(|b| b.is_ascii_digit()).count() <= 4
        && part.split('_').filter(|word| !word.is_empty()).all(|word| word.len() >= 2)
    {
        return true;
    }
    if bytes.first().is_none_or(|b| b.is_ascii_digit())
        || !bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        || bytes.iter().filter(|b| b.is_ascii_digit()).count() > 2
    {
        return false;
    }
    let mut words = Vec::new();
    for chunk in part.split('_').filter(|chunk| !chunk.is_empty()) {
        let mut start = 0;
        let chunk_bytes = chunk.as_bytes();
        for index in 1..chunk_bytes.len() {
            if chunk_bytes[index].is_ascii_uppercase() && !chunk_bytes[index - 1].is_ascii_uppercase() {
                words.push(&chunk[start..index]);
                start = index;
            }
        }
        words.push(&chunk[start..]);
    }
    !words.is_empty()
        && words.iter().all(|word| {
            let all_capitals = word.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            word.len() >= 3 && (all_capitals || word.bytes().skip(1).all(|b| !b.is_ascii_uppercase()))
        })
}

/// A value that looks random enough to be a real secret, not a word, a placeholder or code. The
/// bar depends on the value's alphabet: a hex string can hold at most 4 bits per character, so a
/// 32-hex-character key is judged against that, not against base64's 6.
pub fn looks_random(value: &str) -> bool {
    if is_placeholder(value) || is_code_reference(value) {
        return false;
    }
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
        value.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ];
    let kinds = classes.iter().filter(|present| **present).count();
    let has_digit = classes[2];
    let entropy = entropy(value);
    let hex = value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        || value.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    if hex {
        let letters = value.bytes().filter(u8::is_ascii_alphabetic).count();
        // Random hex has letters and digits in about 6:10; a number has none. Of 100,000 random
        // 32-character hex strings, none has less than 2.87 bits per character (4 at most).
        let bar = if value.len() >= 24 { 2.8 } else { 2.5 };
        return value.len() >= 16 && letters * 16 >= value.len() && entropy >= bar;
    }
    (kinds >= 3 && entropy >= 3.3) || (has_digit && value.len() >= 20 && kinds >= 2 && entropy >= 3.5)
}

/// Whether a value of 8 to 11 characters assigned to a password is one: three of the four kinds
/// of characters (lower case, upper case, digits, others), at most one character repeated (a
/// word, a number or a pattern repeats more), and neither a placeholder, a default credential
/// nor code. Shannon entropy cannot judge it: 8 distinct characters hold 3 bits at most.
fn is_short_password(value: &str) -> bool {
    if is_placeholder_password("", value) || is_code_reference(value) {
        return false;
    }
    let kinds = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
        value.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ];
    let mut seen = [false; 256];
    let distinct = value.bytes().filter(|b| !std::mem::replace(&mut seen[*b as usize], true)).count();
    kinds.iter().filter(|present| **present).count() >= 3 && distinct + 1 >= value.len()
}

/// Default credentials and words documentation uses in place of a password, alone or followed
/// by digits and symbols (`Secret123`, `Admin123!`, `Welcome1`: what fixtures and tutorials
/// write).
pub fn is_placeholder_password(user: &str, password: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    let word = lower.trim_end_matches(|c: char| !c.is_ascii_alphabetic());
    let words = [
        "password",
        "passwd",
        "pass",
        "pwd",
        "pw",
        "secret",
        "changeme",
        "test",
        "testing",
        "guest",
        "admin",
        "root",
        "postgres",
        "mysql",
        "redis",
        "user",
        "username",
        "foo",
        "bar",
        "baz",
        "dummy",
        "token",
        "x",
        "xx",
        "xxx",
        "default",
        "none",
        "null",
        "empty",
        "mypassword",
        "mysecretpassword",
        "sa",
        "demo",
        "letmein",
        "qwerty",
        "welcome",
        "hello",
        "hunter",
        "example",
        "sample",
    ];
    password.len() < 3
        || !password.bytes().any(|b| b.is_ascii_alphanumeric())
        || password == user
        || words.contains(&lower.as_str())
        || words.contains(&word)
        || is_placeholder(password)
        || password.contains("**")
        || is_variable_reference(password)
}

/// Whether a password is filled in from a variable (`$PASS`, `${PASS}`, `prefix-${PASS}`,
/// `$(pass show db)`) rather than written down. A `$` inside the value (`Pa$$w0rd`,
/// `q7VtkP2$zR9w`) is a character of a real password: `.netrc`, `.pgpass` and URLs expand
/// nothing.
fn is_variable_reference(password: &str) -> bool {
    password.starts_with('$') || password.contains("${") || password.contains("$(")
}

/// Decodes standard or URL-safe base64, padding optional; `None` on anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.trim_end_matches('=').bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Whether base64 text decodes to printable `user:password` with a real password.
fn is_basic_auth(text: &str) -> bool {
    let Some(decoded) = base64_decode(text) else { return false };
    let Ok(decoded) = std::str::from_utf8(&decoded) else { return false };
    match decoded.split_once(':') {
        Some((user, password)) => {
            decoded.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
                && !password.is_empty()
                && !is_placeholder_password(user, password)
        }
        None => false,
    }
}

/// A provider-shaped match that documentation writes in place of a real one: a documented
/// example (`AKIAIOSFODNN7EXAMPLE`), a placeholder word (`…placeholderplaceholder`), or a body of
/// one repeated character (`ghp_xxxx…`, `hooks.slack.com/services/T00000000/…`). A real token
/// is random: a run of eight equal characters, or one of these words, is vanishingly rare in one.
fn is_placeholder_token(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    const WORDS: &[&str] = &["example", "placeholder", "xxxxxx", "dummy", "redacted", "changeme", "your_", "your-"];
    if WORDS.iter().any(|word| lower.contains(word)) {
        return true;
    }
    let (mut run, mut longest, mut previous) = (0, 0, None);
    for byte in secret.bytes().filter(u8::is_ascii_alphanumeric) {
        run = if previous == Some(byte) { run + 1 } else { 1 };
        longest = longest.max(run);
        previous = Some(byte);
    }
    longest >= 8
}

/// The key a generic rule's match assigns to (`api_key_id` in `api_key_id = "…"`): the match
/// starts at its keyword.
fn generic_key(whole: &str) -> &str {
    whole
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .next()
        .unwrap_or("")
}

/// Keys that name something about a secret, not the secret: its id, its hash or digest, its
/// ARN (`secret_id`, `api_key_id`, `password_hash`, `token_sha256`, `secretArn`).
fn names_no_secret(key: &str) -> bool {
    const LAST_WORDS: &[&str] = &[
        "id",
        "ids",
        "hash",
        "hashed",
        "sha",
        "sha1",
        "sha256",
        "sha512",
        "md5",
        "digest",
        "checksum",
        "arn",
        "fingerprint",
    ];
    let mut last = key.rsplit(['_', '-', '.']).next().unwrap_or(key);
    // camelCase: the last word starts at the last capital after a lower-case letter or digit.
    let bytes = last.as_bytes();
    if let Some(start) =
        (1..bytes.len()).rev().find(|&i| bytes[i].is_ascii_uppercase() && !bytes[i - 1].is_ascii_uppercase())
    {
        last = &last[start..];
    }
    LAST_WORDS.iter().any(|word| last.eq_ignore_ascii_case(word))
}

/// Whether the match at `start` is inside an AWS resource name (`arn:aws:secretsmanager:…:secret:
/// prod/db`): its `secret` is a path segment, not a key.
fn inside_arn(line: &str, start: usize) -> bool {
    let before = &line[..start];
    let token_start = before
        .rfind(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '=' | ',' | '(' | '['))
        .map_or(0, |i| i + 1);
    line[token_start..].starts_with("arn:")
}

/// The longest run of base64 characters (`A-Za-z0-9+/=`) in `text`.
fn longest_base64_run(text: &str) -> usize {
    let (mut run, mut longest) = (0, 0);
    for byte in text.bytes() {
        run = if byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=') { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// Whether a match passes its rule's check.
fn passes(rule: &Rule, line: &str, captures: &Captures<'_>) -> bool {
    let secret = captures.get(rule.group).map_or("", |m| m.as_str());
    if rule.id == GENERIC {
        let whole = captures.get(0);
        let key = generic_key(whole.map_or("", |m| m.as_str()));
        if names_no_secret(key) || inside_arn(line, whole.map_or(0, |m| m.start())) {
            return false;
        }
    } else if is_placeholder_token(secret) {
        return false;
    }
    match rule.check {
        Check::None => true,
        Check::Entropy => looks_random(secret),
        Check::ShortPassword => is_short_password(secret),
        Check::NotPlaceholder => !is_placeholder(secret),
        Check::Password => {
            let user = captures.get(1).map_or("", |m| m.as_str());
            !is_placeholder_password(user, secret)
        }
        Check::BasicAuth => is_basic_auth(secret),
        Check::KeyHeader => {
            // `"-----BEGIN RSA PRIVATE KEY-----"` alone in quotes is code naming the header; a
            // key written as quoted pieces goes on: `"-----BEGIN …-----" +`, or a list holding
            // its body or its `-----END` line.
            let end = captures.get(0).map_or(0, |m| m.end());
            if !matches!(line.as_bytes().get(end), Some(b'"' | b'\'' | b'`')) {
                return true;
            }
            let rest = line.get(end + 1..).unwrap_or("").trim_start();
            rest.starts_with('+') || rest.contains("-----END") || longest_base64_run(rest) >= 40
        }
    }
}

pub fn redact(shown: usize, secret: &str) -> String {
    let length = secret.chars().count();
    let prefix: String = secret.chars().take(shown.min(length / 3)).collect();
    format!("`{prefix}****` ({length} characters)")
}

/// At most this many hits per line: one minified line could hold thousands.
const MAX_HITS_PER_LINE: usize = 32;

/// The secrets on one line, each with where it stands. Suppression (markers, allowlists,
/// the baseline) is the caller's: this only detects.
pub fn scan_line(line: &str) -> Vec<Hit> {
    let mask = candidates(line.as_bytes());
    if mask == 0 {
        return Vec::new();
    }
    let mut hits = scan_with(line, mask);
    // Code kept in a JSON string (a notebook's cells, settings held in JSON) escapes its quotes:
    // `"DB_PASSWORD=\"…\"\n",`. The line is judged again with them unescaped, each new hit put
    // back where it stands in the line.
    if line.contains("\\\"") || line.contains("\\'") {
        let (unescaped, origin) = unescape_quotes(line);
        let before = hits.len();
        for mut hit in scan_with(&unescaped, mask) {
            hit.span = origin[hit.span.start]..origin[hit.span.end];
            if !hits.iter().any(|kept| kept.span.start < hit.span.end && hit.span.start < kept.span.end) {
                hits.push(hit);
            }
        }
        if hits.len() > before {
            hits.sort_by_key(|hit| hit.span.start);
        }
    }
    hits
}

/// `line` with `\"` and `\'` as bare quotes, and for every byte of it (and its end) the offset
/// of the byte it came from.
fn unescape_quotes(line: &str) -> (String, Vec<usize>) {
    let bytes = line.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut origin = Vec::with_capacity(bytes.len() + 1);
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\\' && matches!(bytes.get(index + 1), Some(b'"' | b'\'')) {
            index += 1;
        }
        out.push(bytes[index]);
        origin.push(index);
        index += 1;
    }
    origin.push(bytes.len());
    // Only ASCII backslashes went, so the bytes are still UTF-8; were they not, the line as is.
    match String::from_utf8(out) {
        Ok(unescaped) => (unescaped, origin),
        Err(_) => (line.to_string(), (0..=bytes.len()).collect()),
    }
}

/// Runs the rules of `mask` (a bit per rule of [`RULES`]) over the line.
fn scan_with(line: &str, mask: u128) -> Vec<Hit> {
    let mut hex_run = None;
    let mut hits: Vec<Hit> = Vec::new();
    for (position, rule) in RULES.iter().enumerate() {
        if mask & (1 << position) == 0 {
            continue;
        }
        let screened = match rule.screen {
            Screen::Needle => true,
            Screen::NeedleAnd(byte) => line.as_bytes().contains(&byte),
            Screen::NeedleAndHexRun(length) => {
                *hex_run.get_or_insert_with(|| longest_hex_run(line.as_bytes())) >= length
            }
        };
        if !screened {
            continue;
        }
        for captures in regex(position).captures_iter(line) {
            if hits.len() >= MAX_HITS_PER_LINE {
                break;
            }
            let Some(secret) = captures.get(rule.group) else { continue };
            if secret.is_empty() || !passes(rule, line, &captures) {
                continue;
            }
            let span = secret.range();
            // A provider's rule, earlier in the list, already holds this text.
            if hits.iter().any(|hit| hit.span.start < span.end && span.start < hit.span.end) {
                continue;
            }
            let redacted = if rule.id == GENERIC {
                let keyword = generic_key(captures.get(0).map_or("", |m| m.as_str()));
                format!("`{keyword}` = `****` ({} characters)", secret.as_str().chars().count())
            } else {
                redact(rule.shown, secret.as_str())
            };
            hits.push(Hit { rule: rule.name, id: rule.id, span, redacted, rotate: rule.rotate });
        }
    }
    hits.sort_by_key(|hit| hit.span.start);
    hits
}
