//! The rules' unit tests: one sample per rule, lines of real code that must stay quiet, the
//! recall corpus (`xtask/tests/corpus/secrets/corpus.rs`, generated at run time) scanned file by
//! file, decoding, and a fuzz test that no input panics. Samples are assembled at run time so that
//! no scannable literal exists in the repository.

use proptest::prelude::*;

use super::files::{credential_file, scan_bytes, scan_path_line, Encoding, MAX_SCAN_BYTES};
use super::*;

#[path = "../../tests/corpus/secrets/corpus.rs"]
mod corpus;

fn join(parts: &[&str]) -> String {
    parts.concat()
}

#[test]
fn every_rule_compiles_and_is_screened() {
    assert_eq!(compiled().len(), RULES.len());
    assert!(RULES.len() <= 128, "the needle screen holds a bit per rule in a u128");
    for rule in RULES {
        assert!(rule.id.starts_with("sop-4.9/secret/"), "{}", rule.id);
        assert!(!rule.needles.is_empty(), "{} has no needle", rule.name);
        for needle in rule.needles {
            assert!(needle.len() >= 2 && needle.is_ascii(), "{needle}");
        }
    }
}

/// `(line, label, id)`: one per rule, at least.
fn positive_samples() -> Vec<(String, &'static str, &'static str)> {
    let mut random = corpus::Random::new(7);
    let mut s = |kind: &str| corpus::secret(kind, &mut random);
    vec![
        (join(&["-----BEGIN EC ", "PRIVATE KEY-----"]), "private key", "private-key"),
        (join(&["-----BEGIN PGP ", "PRIVATE KEY BLOCK-----"]), "private key", "private-key"),
        (join(&["PuTTY-User-", "Key-File-3: ssh-ed25519"]), "PuTTY private key", "private-key"),
        (join(&["AGE-SECRET-", "KEY-1", &"QZ7K3M9T2W8X5R4V".repeat(4)[..58]]), "age secret key", "age-secret-key"),
        (format!("id = {}", s("aws-access-key-id")), "AWS access key id", "aws-access-key-id"),
        (
            format!("aws_secret_access_key: {}", s("aws-secret-access-key")),
            "AWS secret access key",
            "aws-secret-access-key",
        ),
        (format!("key={}", s("google-api-key")), "Google API key", "google-api-key"),
        (format!("AccountKey={};", s("azure-storage-key")), "Azure storage key", "azure-storage-key"),
        (
            format!("Endpoint=sb://x/;SharedAccessKey={}=", &s("base64-secret").repeat(2)[..42]),
            "Azure shared access key",
            "azure-shared-access-key",
        ),
        (s("github-token"), "GitHub token", "github-token"),
        (s("github-fine-grained"), "GitHub token", "github-token"),
        (s("gitlab-token"), "GitLab token", "gitlab-token"),
        (s("slack-token"), "Slack token", "slack-token"),
        (join(&["xapp-", "1-A0123456789-", "1234567890123-abcdef0123456789abcdef"]), "Slack app token", "slack-token"),
        (s("slack-webhook"), "Slack webhook", "slack-webhook"),
        (
            join(&[
                "https://discord",
                ".com/api/webhooks/",
                "123456789012345678/",
                &s("base64-secret").replace(['+', '/'], "_"),
                "abcdefgh",
            ]),
            "Discord webhook",
            "discord-webhook",
        ),
        (s("stripe-secret-key"), "Stripe secret key", "stripe-secret-key"),
        (s("anthropic-api-key"), "Anthropic API key", "anthropic-api-key"),
        (s("openai-api-key"), "OpenAI API key", "openai-api-key"),
        (s("openai-legacy-key"), "OpenAI API key", "openai-api-key"),
        (s("sendgrid-api-key"), "SendGrid API key", "sendgrid-api-key"),
        (s("npm-token"), "npm token", "npm-token"),
        (s("pypi-token"), "PyPI token", "pypi-token"),
        (s("twilio-api-key"), "Twilio API key", "twilio-api-key"),
        (join(&["A", "C", &s("hex-secret")]), "Twilio account SID", "twilio-account-sid"),
        (s("huggingface-token"), "Hugging Face token", "huggingface-token"),
        (s("shopify-token"), "Shopify token", "shopify-token"),
        (s("digitalocean-token"), "DigitalOcean token", "digitalocean-token"),
        (s("vault-token"), "HashiCorp Vault token", "vault-token"),
        (join(&["VAULT_TOKEN=", "s.", "Qz7K3m9T2w8X5r4V1n6B0c5D"]), "HashiCorp Vault token", "vault-token"),
        (s("grafana-cloud-token"), "Grafana token", "grafana-token"),
        (s("grafana-token"), "Grafana service account token", "grafana-token"),
        (s("databricks-token"), "Databricks token", "databricks-token"),
        (s("linear-api-key"), "Linear API key", "linear-api-key"),
        (join(&["key-", &s("hex-secret")]), "Mailgun API key", "mailgun-api-key"),
        (join(&[&s("hex-secret"), "-us", "14"]), "Mailchimp API key", "mailchimp-api-key"),
        (
            join(&["123456789", ":AA", &s("base64-secret").replace(['+', '/'], "_")[..33]]),
            "Telegram bot token",
            "telegram-bot-token",
        ),
        (join(&["sq0", "atp-", &s("base64-secret").replace(['+', '/'], "_")[..22]]), "Square token", "square-token"),
        (join(&["NRAK-", "Q7K3M9T2W8X5R4V1N6B0C5D8F2G"]), "New Relic key", "newrelic-key"),
        (
            join(&["ATATT3", &s("base64-secret").replace(['+', '/'], "_").repeat(3)]),
            "Atlassian API token",
            "atlassian-api-token",
        ),
        (
            join(&["dckr", "_pat_", &s("base64-secret").replace(['+', '/'], "_")[..27]]),
            "Docker Hub token",
            "dockerhub-token",
        ),
        (
            join(&["PMAK-", &s("hex-secret")[..24], "-", &s("hex-secret")[..32], "ab"]),
            "Postman API key",
            "postman-api-key",
        ),
        (join(&["sntryu_", &s("hex-secret"), &s("hex-secret")]), "Sentry token", "sentry-token"),
        (join(&["dp.", "pt.", &s("base64-secret").replace(['+', '/'], "x")]), "Doppler token", "doppler-token"),
        (join(&["pul-", &s("hex-secret"), "01234567"]), "Pulumi token", "pulumi-token"),
        (join(&["tskey-", "auth-", "kQ7r3M2CNTRL-", "Zx8Lm2Xv7Rt4Nb6Kc1Wd9Yf3"]), "Tailscale key", "tailscale-key"),
        (join(&["sbp_", &s("hex-secret"), "01234567"]), "Supabase token", "supabase-token"),
        (join(&["figd_", &s("base64-secret").replace(['+', '/'], "_")]), "Figma token", "figma-token"),
        (
            join(&[
                "sk.",
                "eyJ",
                &s("base64-secret").replace(['+', '/'], "_"),
                "Qz7K3m9T2w8X5r4V",
                ".",
                "Zx8Lm2Xv7Rt4Nb6Kc1Wd9Yf3",
            ]),
            "Mapbox secret token",
            "mapbox-token",
        ),
        (
            join(&["HRKU-", &s("base64-secret").replace(['+', '/'], "_"), "Zx8Lm2Xv7Rt4Nb6Kc1Wd"]),
            "Heroku API key",
            "heroku-api-key",
        ),
        (join(&["fo1_", &s("base64-secret").replace(['+', '/'], "_"), "Zx8"]), "Fly.io token", "flyio-token"),
        (join(&["LTAI", "5tQ7K3m9T2w8X5r4"]), "Alibaba Cloud access key id", "alibaba-access-key-id"),
        (join(&["Cookie: s=", &s("jwt")]), "JSON Web Token", "jwt"),
        (format!("    client-key-data: {}", s("base64-secret")), "Kubernetes client key", "kubernetes-client-key"),
        (format!("\"auth\": \"{}\"", s("docker-auth")), "registry credentials (base64 user:password)", "registry-auth"),
        (format!("_auth={}", s("docker-auth")), "npm registry credentials", "npm-auth"),
        (format!("//npm.internal/:_authToken={}", s("uuid")), "npm registry token", "npm-token"),
        (
            format!("DATABASE_URL=postgres://app:{}@db:5432/app", s("password")),
            "credentials in a URL",
            "url-credentials",
        ),
        (
            format!("curl -sf -u deploy:{} https://x.internal/", s("password")),
            "credentials on a curl command line",
            "cli-credentials",
        ),
        (format!("machine git.internal login ci password {}", s("password")), "netrc credentials", "netrc-credentials"),
        (format!("-H 'Authorization: Bearer {}'", s("base64-secret")), "Authorization header", "authorization-header"),
        (format!("Authorization: Basic {}", s("docker-auth")), "Authorization header (basic)", "authorization-header"),
        (format!("DB_PASSWORD={}", s("password")), "secret assignment", "generic-assignment"),
        (join(&["DB_PASSWORD=", "Tr0ub4dor&3"]), "secret assignment", "generic-assignment"),
        (format!("<add key=\"ApiKey\" value=\"{}\" />", s("password")), "secret assignment", "generic-assignment"),
        (format!("<password>{}</password>", s("password")), "secret assignment", "generic-assignment"),
    ]
}

#[test]
fn every_rule_finds_its_sample_with_its_id_and_never_shows_it() {
    let samples = positive_samples();
    for (line, label, slug) in &samples {
        let hits = scan_line(line);
        assert_eq!(hits.len(), 1, "{line}: {hits:?}");
        assert_eq!((hits[0].rule, hits[0].id), (*label, format!("sop-4.9/secret/{slug}").as_str()), "{line}");
        let secret = &line[hits[0].span.clone()];
        assert!(hits[0].redacted.contains("****"), "{hits:?}");
        if secret.len() >= 12 {
            assert!(!hits[0].redacted.contains(&secret[secret.len() - 8..]), "not redacted: {hits:?}");
        }
    }
    for (position, rule) in RULES.iter().enumerate() {
        assert!(
            samples.iter().any(|(line, label, _)| *label == rule.name && compiled()[position].is_match(line)),
            "rule {position} `{}` has no sample",
            rule.name
        );
    }
}

#[test]
fn identifiers_are_not_told_to_rotate_and_secrets_are() {
    let sid = join(&["A", "C", "3f9a1c7e5b2d8f4a6c0e9b1d7a3f5c2e"]);
    assert!(!scan_line(&sid)[0].rotate);
    let token = corpus::secret("github-token", &mut corpus::Random::new(3));
    assert!(scan_line(&token)[0].rotate);
}

/// A password of 8 to 11 characters under a password's name is found when its make-up is a
/// password's (three kinds of characters, hardly a repeat), whatever the syntax around it; words,
/// numbers, identifiers, code, placeholders, names of something about a password and values that
/// go on past 11 characters without being random stay quiet.
#[test]
fn short_passwords_are_judged_by_their_make_up() {
    let found = [
        join(&["DB_PASSWORD=", "Tr0ub4dor&3"]),
        join(&["password: \"", "Xk9#mP2q", "\""]),
        join(&["export PGPASSWORD='", "q7R!vN2x", "'"]),
        join(&["const ADMIN_PWD: &str = \"", "Zq8#Lm2Wv", "\";"]),
        join(&["passwd = ", "hY6%tB1nQ"]),
        join(&["  smtp_password: ", "Wq4-zP9kE", "  # rotated monthly"]),
        join(&["{\"passphrase\": \"", "mK3.vR8sT1", "\"}"]),
    ];
    for line in &found {
        let hits = scan_line(line);
        assert_eq!(hits.len(), 1, "{line}: {hits:?}");
        assert_eq!(hits[0].id, "sop-4.9/secret/generic-assignment", "{line}");
        let secret = &line[hits[0].span.clone()];
        assert!((8..=11).contains(&secret.len()), "{line}: {secret}");
        assert!(hits[0].redacted.contains("****") && !hits[0].redacted.contains(secret), "{hits:?}");
    }
    let quiet = [
        "password = \"hunter2\"",
        "DB_PASSWORD=Password",
        "password: password123",
        "PASSWORD=12345678",
        "PASSWORD=Passw0rd!!!!",
        "pwd = os.getcwd()",
        "let password = read_password()?;",
        "password_env = \"DB_PASS_1\"",
        "password: ${DB_PASS}",
        "password_min_length = 8",
        "password = config.db.pwd",
        "PASSWORD=aaaaBBBB11",
        "password_hash = \"Ab1$Cd2%\"",
        "password: \"<changeme>\"",
        "passwords = Vec::new();",
        "let pwd: PathBuf = cwd;",
        "password = \"Secret123\" if test else None",
        "admin_password = \"Admin123!\"",
    ];
    for line in quiet {
        assert_eq!(scan_line(line), [], "{line}");
    }
}

#[test]
fn public_certificates_and_placeholders_are_not_secrets() {
    let samples = [
        join(&["-----BEGIN ", "CERTIFICATE-----"]),
        join(&["-----BEGIN ", "PUBLIC KEY-----"]),
        join(&["const HEADER: &str = \"-----BEGIN RSA ", "PRIVATE KEY-----\";"]),
        "postgres://user:password@localhost/db".into(),
        "postgres://postgres:postgres@localhost:5432/test".into(),
        "amqp://guest:guest@localhost:5672//".into(),
        "redis://:${REDIS_PASSWORD}@cache:6379".into(),
        "mysql://root:<pass>@db/shop".into(),
        "https://user:xxx@example.com/".into(),
        "curl -u \"$USER:$TOKEN\" https://x".into(),
        "curl -u admin:changeme http://localhost".into(),
        "`curl -u user:pass`; `machine … login … password …`".into(),
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}".into(),
        "const API_KEY: &str = \"your-api-key-here\";".into(),
        "apiKey: string = process.env.API_KEY;".into(),
        "let token = next_token(&mut lexer);".into(),
        "password = \"hunter2\"".into(),
        "SECRET_KEY=your_secret_key_here_1234".into(),
        "token: &str,".into(),
        "secret_allowlist: Vec<String>,".into(),
        "self.access_key = access_key_id.to_string();".into(),
        "let private_key = PrivateKey::from_pem(&pem_bytes)?;".into(),
        "password_hash = \"0000000000000000000000000000000000\"".into(),
        "checksum = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"".into(),
        "git@github.com:org/repo.git".into(),
        "Authorization: Bearer {token}".into(),
        "if a == b && secret.is_empty() { return Err(Error::Token(\"missing\")) }".into(),
        "\"auth\": \"bearer\",".into(),
        "skip_serializing_if = \"Option::is_none\"".into(),
    ];
    for line in &samples {
        assert_eq!(scan_line(line), [], "{line}");
    }
}

/// What documentation writes in place of a provider's token (the guide promises placeholders
/// never count) and values that name a secret without being one (its id, hash or ARN) stay quiet;
/// the same shapes with a random body are still found.
#[test]
fn documented_placeholders_and_ids_of_secrets_are_not_secrets() {
    let x = |n: usize| "x".repeat(n);
    let quiet = [
        join(&["`ghp_", &x(36), "`"]),
        join(&["export GITHUB_TOKEN=ghp_", &"X".repeat(36)]),
        join(&["key=AIza", "Sy", &"X".repeat(33)]),
        join(&["https://hooks.slack.com/services/", "T00000000/B00000000/", &"X".repeat(24)]),
        join(&["STRIPE_KEY=sk_", "live_", &x(24)]),
        join(&["SLACK_TOKEN=xoxb-", &x(12), "-", &x(13)]),
        join(&["AKIA", "IOSFODNN7", "EXAMPLE"]),
        join(&["aws_secret_access_key = ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "EXAMPLEKEY"]),
        join(&["eyJhbGciOiJIUzI1NiJ9.", "eyJzdWIiOiIxMjM0NTY3ODkwIn0.", "placeholderplaceholder"]),
        join(&["{\"api_key_id\": \"", "123e4567-e89b-12d3-a456-426614174000", "\"}"]),
        join(&["secret_id: ", "550e8400-e29b-41d4-a716-446655440000"]),
        join(&["token_sha256 = \"", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "\""]),
        join(&["let password_hash = \"", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "\";"]),
        join(&["\"secretArn\": \"", "9f86d081884c7d659a2feaa0c55ad015", "\""]),
        join(&[
            "{\"secret_arn\": \"arn:aws:secretsmanager:eu-west-1:123456789012:",
            "sec",
            "ret:prod/db-AbCdEf",
            "\"}",
        ]),
    ];
    for line in &quiet {
        assert_eq!(scan_line(line), [], "{line}");
    }
    let found = [
        join(&["export GITHUB_TOKEN=ghp_", "Qz7K3m9T2w8X5r4VbN6c1L0pH8j2G5s7D3f9"]),
        join(&["SLACK_TOKEN=xoxb-", "482917365012-", "Kq7mZ2wT9xR4vB8n"]),
        join(&["api_key = \"", "Kq7mZ2wT9xR4vB8nL3cY6pH0", "\""]),
        join(&["secret_key_base = \"", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "\""]),
    ];
    for line in &found {
        assert_ne!(scan_line(line), [], "{line}");
    }
}

/// A private key written as quoted pieces is a key (JavaScript concatenation, a Python list of
/// its lines); a string constant naming the header alone, or code comparing a line with it, is not.
#[test]
fn a_key_split_into_quoted_pieces_is_found_and_its_header_named_in_code_is_not() {
    let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
    let header = join(&["-----BEGIN RSA ", "PRIVATE KEY-----"]);
    let found = [
        format!("const privateKey = \"{header}\" +"),
        format!("PEM_LINES = ['{header}', '{body}', '-----END RSA PRIVATE KEY-----']"),
    ];
    for line in &found {
        assert_ne!(scan_line(line), [], "{line}");
    }
    let quiet = [
        format!("const HEADER: &str = \"{header}\";"),
        format!("if line.trim() == \"{header}\" {{"),
        format!("assert!(text.starts_with(\"{header}\"), \"not a key\");"),
    ];
    for line in &quiet {
        assert_eq!(scan_line(line), [], "{line}");
    }
}

#[test]
fn a_random_hex_secret_passes_the_entropy_test_whatever_its_draw() {
    let mut random = corpus::Random::new(11);
    for _ in 0..2_000 {
        let hex = corpus::secret("hex-secret", &mut random);
        assert!(looks_random(&hex), "{hex}");
        assert!(looks_random(&hex.to_ascii_uppercase()), "{hex}");
    }
    for quiet in
        ["deadbeefdeadbeefdeadbeefdeadbeef", "00000000000000000000000000000001", "12345678901234567890123456789012"]
    {
        assert!(!looks_random(quiet), "{quiet}");
    }
    assert!(entropy("aaaaaaaa") < 0.1);
    assert!(looks_random("Xk9#mP2$vL8qR4tW"));
    assert!(!looks_random("aaaaaaaaaaaaaaaa1"));
    assert!(!looks_random("my_database_password"));
}

/// Whether `line` lies in the block of one of the file's expected secrets.
fn expected_at(file: &corpus::CorpusFile, line: usize) -> bool {
    file.expected.iter().any(|start| (*start..=start + file.block).contains(&line))
}

#[test]
fn the_recall_corpus_is_found_whole_and_nothing_else() {
    let files = corpus::corpus();
    let kinds: std::collections::BTreeSet<_> = files.iter().map(|file| file.kind).collect();
    assert!(kinds.len() >= 36, "{kinds:?}");
    let mut missed = Vec::new();
    let mut extra = Vec::new();
    for file in &files {
        let scan = scan_bytes(&file.path, &file.bytes);
        for line in &file.expected {
            if !scan.hits.iter().any(|(at, _)| (*line..=line + file.block).contains(at)) {
                missed.push(format!("{}:{line} ({})", file.path, file.kind));
            }
        }
        for (at, hit) in &scan.hits {
            if !expected_at(file, *at) {
                extra.push(format!("{}:{at} {}", file.path, hit.rule));
            }
        }
    }
    assert_eq!(missed, Vec::<String>::new(), "missed");
    assert_eq!(extra, Vec::<String>::new(), "found where nothing is");
}

#[test]
fn credential_files_are_known_by_name() {
    for (path, kind) in [
        (".netrc", "netrc"),
        ("home/_netrc", "netrc"),
        ("web/.npmrc", "npmrc"),
        (".pypirc", "pypirc"),
        ("ops/.pgpass", "pgpass"),
        (".git-credentials", "git-credentials"),
        ("ops/.kube/config", "kubeconfig"),
        ("ops/prod.kubeconfig", "kubeconfig"),
        (".docker/config.json", "docker-config"),
    ] {
        assert_eq!(credential_file(path).map(|file| file.kind), Some(kind), "{path}");
    }
    for path in ["config.json", "src/config", "netrc.rs", "docs/pgpass.md"] {
        assert_eq!(credential_file(path), None, "{path}");
    }
    // A bare password is a secret in a credential file only.
    let line = "db.internal:5432:app:app:Tr0ub4dor3";
    assert_eq!(scan_line(line), []);
    assert_eq!(scan_path_line("ops/.pgpass", line)[0].id, "sop-4.9/secret/pgpass");
    assert_eq!(scan_path_line("ops/.pgpass", "*:*:*:app:changeme"), []);
}

#[test]
fn utf16_and_binary_contents_are_read_and_bounded() {
    let token = corpus::secret("github-token", &mut corpus::Random::new(5));
    let text = format!("first\nGH={token}\n");
    let mut big_endian = vec![0xFE, 0xFF];
    big_endian.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let scan = scan_bytes("a.txt", &big_endian);
    assert_eq!((scan.encoding, scan.hits.len(), scan.hits[0].0), (Encoding::Utf16Be, 1, 2));
    let mut binary = vec![0x7F, b'E', b'L', b'F', 2, 1, 1];
    binary.extend([0u8; 64]);
    binary.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    binary.extend([0xFF, 0xFE, 0, 0]);
    let scan = scan_bytes("a.bin", &binary);
    assert_eq!(scan.encoding, Encoding::Binary);
    assert_eq!(scan.hits.len(), 1, "{scan:?}");
    let mut large = vec![b'a'; MAX_SCAN_BYTES];
    large.extend(token.as_bytes());
    let scan = scan_bytes("large.txt", &large);
    assert!(scan.truncated && scan.hits.is_empty());
}

proptest! {
    #[test]
    fn no_line_panics_and_spans_are_whole_characters(line in any::<String>()) {
        for hit in scan_line(&line) {
            prop_assert!(line.is_char_boundary(hit.span.start) && line.is_char_boundary(hit.span.end));
            prop_assert!(!line[hit.span.clone()].contains('\n'));
        }
    }

    #[test]
    fn lines_near_the_rules_do_not_panic(
        prefix in "[ -~]{0,12}",
        needle in prop::sample::select(RULES.iter().flat_map(|rule| rule.needles.iter().copied()).collect::<Vec<_>>()),
        rest in "[ -~\\n\u{e9}\u{4e2d}]{0,90}",
    ) {
        let line = format!("{prefix}{needle}{rest}");
        for hit in scan_line(&line) {
            prop_assert!(line.is_char_boundary(hit.span.start) && line.is_char_boundary(hit.span.end));
            prop_assert!(!line[hit.span.clone()].contains('\n'));
            for path in [".netrc", ".pgpass", "ops/kubeconfig"] {
                let _ = scan_path_line(path, &line);
            }
        }
    }

    #[test]
    fn no_bytes_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = scan_bytes("file.bin", &bytes);
        let _ = scan_bytes(".netrc", &bytes);
    }
}
