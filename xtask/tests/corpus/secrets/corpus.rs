//! The secret scanner's recall corpus: fake secrets of many kinds in realistic files, generated at
//! test time from a fixed seed, so that no scannable literal lives in this repository (its own
//! `check` stays green, and no push protection trips). Included by path into the unit tests of
//! the `xtask-secrets` crate (which scan it with the rules directly) and into the integration test
//! `secrets_recall.rs` (which scans it through `cargo xtask check`); plain `std`, no dependency.
//!
//! In a template, `{S}` is a fresh secret of the case's kind and marks its line as expected; `{D}`
//! is a decoy (a placeholder or a default credential) whose line must stay quiet. Every other
//! line is context and must stay quiet too.

#![allow(dead_code)]

/// How a case's file must be read to find its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Any line scanner: the secret is visible on its line.
    Line,
    /// The file's name matters (`.pgpass`, `.netrc`…): `scan_path_line`.
    Path,
    /// The file is not UTF-8 text (UTF-16, NUL bytes): `scan_bytes`.
    Bytes,
}

/// One generated file.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    pub kind: &'static str,
    pub path: String,
    pub bytes: Vec<u8>,
    /// 1-based lines that hold a secret (for a private key, its `BEGIN` line).
    pub expected: Vec<usize>,
    /// Lines after each expected one that count as the same secret (a key block's body).
    pub block: usize,
    pub via: Via,
}

/// A deterministic generator (xorshift64*): the same corpus on every run.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Random(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn from(&mut self, alphabet: &str, length: usize) -> String {
        let bytes = alphabet.as_bytes();
        (0..length).map(|_| char::from(bytes[(self.next() % bytes.len() as u64) as usize])).collect()
    }
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
const HEX: &str = "0123456789abcdef";

fn alnum() -> String {
    [UPPER, LOWER, DIGITS].concat()
}
fn base64() -> String {
    [UPPER, LOWER, DIGITS, "+/"].concat()
}
fn url_safe() -> String {
    [UPPER, LOWER, DIGITS, "_-"].concat()
}

/// Standard base64 with padding, for `user:password` blobs.
pub fn encode_base64(bytes: &[u8]) -> String {
    let table = base64().into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let word = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(table[((word >> (18 - 6 * index)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A fresh fake secret of `kind`. Prefixes are split so that this file holds none whole.
pub fn secret(kind: &str, random: &mut Random) -> String {
    let p = |parts: &[&str]| parts.concat();
    match kind {
        "aws-access-key-id" => p(&["AK", "IA"]) + &random.from(&[UPPER, "234567"].concat(), 16),
        "aws-secret-access-key" => random.from(&base64(), 40),
        "github-token" => p(&["gh", "p_"]) + &random.from(&alnum(), 36),
        "github-oauth" => p(&["gh", "o_"]) + &random.from(&alnum(), 36),
        "github-fine-grained" => {
            p(&["github", "_pat_"]) + &random.from(&alnum(), 22) + "_" + &random.from(&alnum(), 59)
        }
        "gitlab-token" => p(&["gl", "pat-"]) + &random.from(&url_safe(), 20),
        "slack-token" => {
            p(&["xo", "xb-"])
                + &random.from(DIGITS, 12)
                + "-"
                + &random.from(DIGITS, 13)
                + "-"
                + &random.from(&alnum(), 24)
        }
        "slack-webhook" => {
            p(&["https://hooks.", "slack.com/services/"])
                + &random.from(&[UPPER, DIGITS].concat(), 9)
                + "/"
                + &random.from(&[UPPER, DIGITS].concat(), 11)
                + "/"
                + &random.from(&alnum(), 24)
        }
        "stripe-secret-key" => p(&["sk", "_live_"]) + &random.from(&alnum(), 24),
        "google-api-key" => p(&["AI", "za"]) + &random.from(&url_safe(), 35),
        "jwt" => {
            let header = encode_base64(br#"{"alg":"HS256","typ":"JWT"}"#).trim_end_matches('=').to_string();
            let claims =
                encode_base64(format!(r#"{{"sub":"{}","iat":1716239022}}"#, random.from(DIGITS, 10)).as_bytes())
                    .trim_end_matches('=')
                    .replace('+', "-")
                    .replace('/', "_");
            format!("{header}.{claims}.{}", random.from(&url_safe(), 43))
        }
        "openai-api-key" => p(&["sk", "-proj-"]) + &random.from(&url_safe(), 64),
        "openai-legacy-key" => {
            p(&["sk", "-"]) + &random.from(&alnum(), 20) + &p(&["T3Blbk", "FJ"]) + &random.from(&alnum(), 20)
        }
        "anthropic-api-key" => p(&["sk", "-ant-", "api03-"]) + &random.from(&url_safe(), 93) + "AA",
        "sendgrid-api-key" => p(&["S", "G."]) + &random.from(&url_safe(), 22) + "." + &random.from(&url_safe(), 43),
        "npm-token" => p(&["np", "m_"]) + &random.from(&alnum(), 36),
        "pypi-token" => p(&["py", "pi-", "AgEIcHlwaS5vcmc"]) + &random.from(&url_safe(), 70),
        "twilio-api-key" => p(&["S", "K"]) + &random.from(HEX, 32),
        "huggingface-token" => p(&["h", "f_"]) + &random.from(&[UPPER, LOWER].concat(), 34),
        "shopify-token" => p(&["shp", "at_"]) + &random.from(HEX, 32),
        "digitalocean-token" => p(&["do", "p_v1_"]) + &random.from(HEX, 64),
        "vault-token" => p(&["hv", "s."]) + &random.from(&url_safe(), 90),
        "grafana-token" => p(&["gl", "sa_"]) + &random.from(&alnum(), 32) + "_" + &random.from(HEX, 8),
        "grafana-cloud-token" => p(&["gl", "c_"]) + &random.from(&alnum(), 80) + "==",
        "databricks-token" => p(&["da", "pi"]) + &random.from(HEX, 32),
        "linear-api-key" => p(&["lin", "_api_"]) + &random.from(&alnum(), 40),
        "azure-storage-key" => random.from(&base64(), 86) + "==",
        "password" => random.from(&alnum(), 10) + &random.from("!*-_.~", 2) + &random.from(DIGITS, 4),
        // A `$` inside is a character of the password (`.netrc`, `.pgpass` and URLs expand nothing).
        "dollar-password" => random.from(&alnum(), 7) + "$" + &random.from(&alnum(), 5) + &random.from(DIGITS, 3),
        "hex-secret" => random.from(HEX, 32),
        "base64-secret" => random.from(&base64(), 40),
        "uuid" => {
            [random.from(HEX, 8), random.from(HEX, 4), random.from(HEX, 4), random.from(HEX, 4), random.from(HEX, 12)]
                .join("-")
        }
        "docker-auth" => encode_base64(format!("deploy:{}", random.from(&alnum(), 20)).as_bytes()),
        "private-key-body" => random.from(&base64(), 64),
        _ => panic!("no generator for `{kind}`"),
    }
}

/// A case: the kind its secrets are, the file, the template, the generator kind for `{S}`.
struct Case {
    kind: &'static str,
    path: &'static str,
    template: &'static str,
    generator: &'static str,
    via: Via,
}

const fn case(kind: &'static str, path: &'static str, generator: &'static str, template: &'static str) -> Case {
    Case { kind, path, template, generator, via: Via::Line }
}

const fn by_path(kind: &'static str, path: &'static str, generator: &'static str, template: &'static str) -> Case {
    Case { kind, path, template, generator, via: Via::Path }
}

const CASES: &[Case] = &[
    case("aws-access-key-id", "deploy/aws/credentials.ini", "aws-access-key-id", "[default]\naws_access_key_id = {S}\nregion = eu-west-1\n"),
    case("aws-access-key-id", "src/storage/s3.py", "aws-access-key-id", "import boto3\n\nclient = boto3.client(\"s3\", aws_access_key_id=\"{S}\")\n"),
    case("aws-secret-access-key", "deploy/aws/secret.env", "aws-secret-access-key", "AWS_REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY={S}\n"),
    case("aws-secret-access-key", "terraform/provider.tf", "aws-secret-access-key", "provider \"aws\" {\n  region     = \"us-east-1\"\n  secret_key = \"{S}\"\n}\n"),
    case("github-token", "scripts/release.sh", "github-token", "#!/bin/sh\nset -eu\nexport GITHUB_TOKEN={S}\ngh release create \"$1\"\n"),
    case("github-token", "ci/tokens.json", "github-token", "{\n  \"tokens\": [\n    \"{S}\"\n  ]\n}\n"),
    case("github-token", "src/login.rs", "github-oauth", "fn client() -> Client {\n    Client::new().bearer(\"{S}\")\n}\n"),
    case("github-token", "docs/ci.md", "github-fine-grained", "Use this token for the bot:\n\n    {S}\n"),
    case("gitlab-token", ".gitlab/ci.env", "gitlab-token", "CI_JOB=1\nGITLAB_API={S}\n"),
    case("slack-token", "bots/notify.py", "slack-token", "from slack_sdk import WebClient\n\nclient = WebClient(\"{S}\")\n"),
    case("slack-webhook", "deploy/alerts.yaml", "slack-webhook", "alerts:\n  channel: ops\n  url: {S}\n"),
    case("stripe-secret-key", "billing/config.rb", "stripe-secret-key", "Stripe.api_version = '2024-06-20'\nStripe.secret = '{S}'\n"),
    case("google-api-key", "web/maps.js", "google-api-key", "const maps = new Loader({ key: \"{S}\", version: \"weekly\" });\n"),
    case("jwt", "tests/fixtures/session.http", "jwt", "GET /api/me HTTP/1.1\nHost: api.internal\nCookie: session={S}\n"),
    case("private-key", "deploy/tls/server.key", "private-key-body", "-----BEGIN RSA {PRIVATE}-----\n{B}\n{B}\n-----END RSA {PRIVATE}-----\n"),
    case("private-key", "ops/bastion_ed25519", "private-key-body", "-----BEGIN OPENSSH {PRIVATE}-----\n{B}\n-----END OPENSSH {PRIVATE}-----\n"),
    case("private-key", "config/service-account.json", "private-key-body", "{\n  \"type\": \"service_account\",\n  \"private_key\": \"-----BEGIN {PRIVATE}-----\\n{B}\\n-----END {PRIVATE}-----\\n\"\n}\n"),
    case("openai-api-key", "ml/summarize.py", "openai-api-key", "from openai import OpenAI\n\nclient = OpenAI(api_key=\"{S}\")\n"),
    case("openai-api-key", "notebooks/setup.md", "openai-legacy-key", "Paste the key:\n\n```\n{S}\n```\n"),
    case("anthropic-api-key", "ml/claude.ts", "anthropic-api-key", "import Anthropic from \"@anthropic-ai/sdk\";\n\nconst client = new Anthropic({ apiKey: \"{S}\" });\n"),
    case("sendgrid-api-key", "mail/send.go", "sendgrid-api-key", "package mail\n\nvar client = sendgrid.NewSendClient(\"{S}\")\n"),
    case("npm-token", "ci/publish.yml", "npm-token", "steps:\n  - run: npm publish\n    env:\n      NODE_AUTH: {S}\n"),
    case("pypi-token", "ci/upload.sh", "pypi-token", "#!/bin/sh\ntwine upload -u __token__ -p {S} dist/*\n"),
    case("twilio-api-key", "sms/client.rb", "twilio-api-key", "client = Twilio::REST::Client.new('{S}', ENV['TWILIO_SECRET'])\n"),
    case("huggingface-token", "ml/download.py", "huggingface-token", "from huggingface_hub import login\n\nlogin(\"{S}\")\n"),
    case("shopify-token", "shop/sync.js", "shopify-token", "const shopify = shopifyApi({ adminApiAccessToken: '{S}' });\nconst session = shopify.session.customAppSession('shop.myshopify.com');\n"),
    case("digitalocean-token", "infra/do.tf", "digitalocean-token", "provider \"digitalocean\" {\n  token = \"{S}\"\n}\n"),
    case("vault-token", "ops/vault.sh", "vault-token", "#!/bin/sh\nexport VAULT_ADDR=https://vault.internal:8200\nexport VAULT_TOKEN={S}\n"),
    case("grafana-token", "ops/grafana.env", "grafana-token", "GRAFANA_URL=https://grafana.internal\nGRAFANA_SA={S}\n"),
    case("grafana-token", "ops/grafana-cloud.yaml", "grafana-cloud-token", "grafana_cloud:\n  stack: ops\n  policy: {S}\n"),
    case("databricks-token", "jobs/databricks.cfg", "databricks-token", "[DEFAULT]\nhost = https://adb-1234567890.12.azuredatabricks.net\nbearer = {S}\n"),
    case("linear-api-key", "tools/linear.ts", "linear-api-key", "const linear = new LinearClient({ apiKey: \"{S}\" });\n"),
    case("azure-storage-key", "config/azure.json", "azure-storage-key", "{\n  \"Storage\": \"DefaultEndpointsProtocol=https;AccountName=app;AccountKey={S};EndpointSuffix=core.windows.net\"\n}\n"),
    case("url-credentials", "config/database.yml", "password", "production:\n  url: postgres://app:{S}@db.internal:5432/app\n  test: postgres://user:{D}@localhost/test\n"),
    case("url-credentials", "docker-compose.yml", "password", "services:\n  web:\n    environment:\n      - DATABASE_URL=mysql://root:{S}@mysql:3306/shop\n      - CACHE=redis://:{S}@cache:6379/0\n"),
    case("url-credentials", "worker/settings.py", "password", "BROKER_URL = \"amqp://worker:{S}@rabbit.internal:5672//\"\nMONGO = \"mongodb+srv://api:{S}@cluster0.mongodb.net/app?retryWrites=true\"\n"),
    case("url-credentials", "scripts/mirror.sh", "password", "#!/bin/sh\ngit clone https://deploy:{S}@git.internal/app.git\ncurl -u ops:{S} https://nexus.internal/repository/\ncurl -u \"$NEXUS_USER:$NEXUS_PASSWORD\" https://nexus.internal/\n"),
    case("generic-assignment", "src/config.rs", "password", "pub struct Config;\n\nconst API_KEY: &str = \"{S}\";\nconst DB_PASSWORD: &'static str = \"{S}\";\n"),
    case("generic-assignment", "web/src/api.ts", "password", "export class Api {\n  private apiKey: string = '{S}';\n}\n"),
    case("generic-assignment", "cmd/server/main.go", "password", "package main\n\nfunc main() {\n\tapiKey := \"{S}\"\n\t_ = apiKey\n}\n"),
    case("generic-assignment", "tools/env.py", "password", "import os\n\nos.environ['SERVICE_TOKEN'] = '{S}'\nconfig[\"secret\"] = \"{S}\"\n"),
    case("generic-assignment", "web/Web.config", "password", "<configuration>\n  <appSettings>\n    <add key=\"DbPassword\" value=\"{S}\" />\n    <add key=\"Theme\" value=\"dark-blue-2024\" />\n  </appSettings>\n</configuration>\n"),
    case("generic-assignment", "deploy/values.yaml", "password", "db:\n  user: app\n  password: {S}\n  password_file: /run/secrets/db\n"),
    case("generic-assignment", ".env.production", "password", "FEATURE_SEARCH=true\nDB_PASSWORD={S}\nSMTP_PASSWORD={D}\n"),
    case("hex-secret", "config/oauth.toml", "hex-secret", "[oauth]\nclient_id = \"web-frontend\"\nclient_secret = \"{S}\"\n"),
    case("hex-secret", "config/app.yaml", "hex-secret", "app:\n  api_key: {S}\n"),
    case("hex-secret", "src/keys.go", "hex-secret", "package keys\n\nconst SigningKey = \"{S}\"\n"),
    case("base64-secret", "config/session.json", "base64-secret", "{\n  \"session\": { \"secret\": \"{S}\" }\n}\n"),
    by_path("netrc", "deploy/.netrc", "password", "machine api.internal login bot password {S}\nmachine git.internal\n  login ci\n  password {S}\n"),
    case("npmrc", ".npmrc", "docker-auth", "registry=https://npm.internal/\n_auth={S}\n"),
    case("npmrc", "web/.npmrc", "uuid", "//npm.internal/:_authToken={S}\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
    by_path("pypirc", "tools/.pypirc", "password", "[distutils]\nindex-servers = internal\n\n[internal]\nrepository = https://pypi.internal/\nusername = deploy\npassword = {S}\n"),
    by_path("pgpass", "ops/.pgpass", "password", "# host:port:db:user:password\ndb.internal:5432:app:app:{S}\n*:*:*:replica:{S}\n"),
    // Code kept in JSON strings, its quotes escaped: a notebook's cells, settings held in JSON.
    case("generic-assignment", "nb/explore.ipynb", "password", r#"{
 "cells": [
  {
   "cell_type": "code",
   "source": [
    "DB_PASSWORD=\"{S}\"\n",
    "api_key = \"{S}\"\n",
    "print(\"connected\")\n"
   ]
  }
 ]
}
"#),
    case("generic-assignment", "config/env.json", "password", "{\"config\": \"DB_PASSWORD=\\\"{S}\\\"\"}\n"),
    case("url-credentials", "scripts/dollar.sh", "dollar-password", "DATABASE_URL=postgres://app:{S}@db.internal:5432/prod\ncurl -u admin:{S} https://api.internal/x\nDATABASE_URL=postgres://app:${DB_PASSWORD}@db.internal:5432/prod\n"),
    by_path("netrc", "home/.netrc", "dollar-password", "machine api.internal login deploy password {S}\n"),
    by_path("pgpass", "home/.pgpass", "dollar-password", "db.internal:5432:prod:app:{S}\n"),
    case("git-credentials", "ops/.git-credentials", "github-token", "https://bot:{S}@github.com\n"),
    by_path("kubeconfig", "ops/kubeconfig", "base64-secret", "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: {S}\n"),
    case("kubeconfig", "ops/cluster.kubeconfig", "private-key-body", "users:\n- name: admin\n  user:\n    client-key-data: {S}\n"),
    case("docker-config", ".docker/config.json", "docker-auth", "{\n  \"auths\": {\n    \"registry.internal\": {\n      \"auth\": \"{S}\"\n    }\n  }\n}\n"),
];

/// Placeholders and default credentials: `{D}` in a template.
const DECOYS: &[&str] = &["password", "changeme", "${DB_PASSWORD}", "<password>", "xxx", "postgres"];

/// The files that are not UTF-8 text, each with one secret: a UTF-16 `.reg` export with a BOM,
/// a UTF-16LE file without one, and a binary holding a token among NUL bytes.
fn encoded_files(random: &mut Random) -> Vec<CorpusFile> {
    let utf16 = |text: &str, bom: bool| {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    };
    let token = secret("github-token", random);
    let with_bom = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\App]\r\n\"Token\"=\"{token}\"\r\n"
    );
    let key = secret("aws-access-key-id", random);
    let without_bom = format!("[Settings]\r\nRegion=eu-west-1\r\nAccessKey={key}\r\n");
    let slack = secret("slack-token", random);
    let mut binary = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    binary.extend(std::iter::repeat_n(0u8, 64));
    binary.extend(format!("notify_url\0{slack}\0").as_bytes());
    binary.extend(std::iter::repeat_n(0xE9u8, 16));
    vec![
        CorpusFile {
            kind: "utf-16",
            path: "windows/app.reg".into(),
            bytes: utf16(&with_bom, true),
            expected: vec![4],
            block: 0,
            via: Via::Bytes,
        },
        CorpusFile {
            kind: "utf-16",
            path: "windows/settings.ini".into(),
            bytes: utf16(&without_bom, false),
            expected: vec![3],
            block: 0,
            via: Via::Bytes,
        },
        CorpusFile {
            kind: "binary",
            path: "bin/notifier".into(),
            bytes: binary,
            expected: vec![1],
            block: 0,
            via: Via::Bytes,
        },
    ]
}

/// The whole corpus, the same on every run.
pub fn corpus() -> Vec<CorpusFile> {
    let mut random = Random::new(0x5EC2_E75C_0A9F_1234);
    let mut files = Vec::new();
    for case in CASES {
        let mut text = String::new();
        let mut expected = Vec::new();
        let mut block = 0;
        for (index, line) in case.template.lines().enumerate() {
            // Split in this file's source, so that it holds no private key header.
            let mut line = line.replace("{PRIVATE}", "PRIVATE KEY");
            if line.contains("-----BEGIN") {
                expected.push(index + 1);
                block = case.template.lines().skip(index).take_while(|l| !l.contains("-----END")).count();
            }
            while line.contains("{B}") {
                line = line.replacen("{B}", &secret(case.generator, &mut random), 1);
            }
            if line.contains("{S}") {
                expected.push(index + 1);
                while line.contains("{S}") {
                    line = line.replacen("{S}", &secret(case.generator, &mut random), 1);
                }
            }
            let decoy = DECOYS[index % DECOYS.len()];
            line = line.replace("{D}", decoy);
            text.push_str(&line);
            text.push('\n');
        }
        files.push(CorpusFile {
            kind: case.kind,
            path: case.path.to_string(),
            bytes: text.into_bytes(),
            expected,
            block,
            via: case.via,
        });
    }
    files.extend(encoded_files(&mut random));
    files
}
