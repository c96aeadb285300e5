//! Recognising credentials in text, and masking them so that no report repeats one.

use super::codes::{self, Code};

/// A credential of a known shape found in a text, by byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub shape: Shape,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    AwsAccessKey,
    GithubToken,
    SlackToken,
    SlackWebhook,
    PrivateKey,
    Jwt,
}

impl Shape {
    pub fn code(self) -> &'static Code {
        match self {
            Shape::AwsAccessKey => &codes::SEC_AWS_KEY,
            Shape::GithubToken => &codes::SEC_GITHUB_TOKEN,
            Shape::SlackToken | Shape::SlackWebhook => &codes::SEC_SLACK_TOKEN,
            Shape::PrivateKey => &codes::SEC_PRIVATE_KEY,
            Shape::Jwt => &codes::SEC_JWT,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Shape::AwsAccessKey => "an AWS access key id",
            Shape::GithubToken => "a GitHub token",
            Shape::SlackToken => "a Slack token",
            Shape::SlackWebhook => "a Slack webhook URL",
            Shape::PrivateKey => "a PEM private key",
            Shape::Jwt => "a JSON Web Token",
        }
    }

    /// How much of the start is the shape's public marker, safe to show.
    fn marker_len(self, text: &str) -> usize {
        match self {
            Shape::AwsAccessKey => 4,
            Shape::GithubToken => text.find('_').map_or(4, |i| i + 1),
            Shape::SlackToken => 5,
            Shape::SlackWebhook => "https://hooks.slack.com/".len(),
            Shape::PrivateKey => 0,
            Shape::Jwt => 3,
        }
    }
}

fn is_upper_alnum(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Length of the run of bytes from `at` that satisfy `ok`.
fn run(bytes: &[u8], at: usize, ok: impl Fn(u8) -> bool) -> usize {
    bytes[at.min(bytes.len())..]
        .iter()
        .take_while(|b| ok(**b))
        .count()
}

/// True when the byte before `at` cannot continue a token, so a match starts a word.
fn boundary(bytes: &[u8], at: usize) -> bool {
    at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_')
}

/// Every credential of a known shape in `text`, left to right, none overlapping.
pub fn scan(text: &str) -> Vec<Match> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(m) = shape_at(text, i) {
            i = m.end;
            found.push(m);
        } else {
            i += 1;
        }
    }
    found
}

fn shape_at(text: &str, i: usize) -> Option<Match> {
    if !text.is_char_boundary(i) {
        return None;
    }
    let bytes = text.as_bytes();
    let rest = &text[i..];
    let at = |shape, len: usize| {
        Some(Match {
            shape,
            start: i,
            end: i + len,
        })
    };
    if !boundary(bytes, i) && !rest.starts_with("-----BEGIN") {
        return None;
    }
    for prefix in ["AKIA", "ASIA", "ABIA", "ACCA"] {
        if rest.starts_with(prefix) {
            let n = run(bytes, i + 4, is_upper_alnum);
            if n == 16 {
                return at(Shape::AwsAccessKey, 20);
            }
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if rest.starts_with(prefix) {
            let n = run(bytes, i + 4, |b| b.is_ascii_alphanumeric());
            if n >= 36 {
                return at(Shape::GithubToken, 4 + n);
            }
        }
    }
    if rest.starts_with("github_pat_") {
        let n = run(bytes, i + 11, |b| b.is_ascii_alphanumeric() || b == b'_');
        if n >= 22 {
            return at(Shape::GithubToken, 11 + n);
        }
    }
    if rest.len() > 5
        && rest.starts_with("xox")
        && matches!(bytes[i + 3], b'a' | b'b' | b'p' | b'r' | b's' | b'e')
        && bytes[i + 4] == b'-'
    {
        let n = run(bytes, i + 5, |b| b.is_ascii_alphanumeric() || b == b'-');
        if n >= 10 {
            return at(Shape::SlackToken, 5 + n);
        }
    }
    const HOOK: &str = "https://hooks.slack.com/services/";
    if rest.starts_with(HOOK) {
        let n = run(bytes, i + HOOK.len(), |b| {
            b.is_ascii_alphanumeric() || b == b'/'
        });
        if n >= 20 {
            return at(Shape::SlackWebhook, HOOK.len() + n);
        }
    }
    if rest.starts_with("-----BEGIN ") {
        let line_end = rest.find('\n').unwrap_or(rest.len());
        if rest[..line_end].contains("PRIVATE KEY") {
            let end = rest
                .find("-----END ")
                .and_then(|e| rest[e..].find("KEY-----").map(|k| e + k + 8))
                .unwrap_or(line_end);
            return at(Shape::PrivateKey, end);
        }
    }
    if rest.starts_with("eyJ") {
        let a = run(bytes, i, is_b64url);
        if a >= 10 && bytes.get(i + a) == Some(&b'.') && rest[a + 1..].starts_with("eyJ") {
            let b = run(bytes, i + a + 1, is_b64url);
            if b >= 10 && bytes.get(i + a + 1 + b) == Some(&b'.') {
                let c = run(bytes, i + a + 2 + b, is_b64url);
                return at(Shape::Jwt, a + 2 + b + c);
            }
        }
    }
    None
}

/// Shannon entropy in bits per character.
pub fn entropy(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Words in a name that say its value is a credential.
const CREDENTIAL_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTH",
    "KEY",
];

/// Name endings that say the value only points at a credential.
const POINTER_ENDINGS: &[&str] = &[
    "_FILE",
    "_PATH",
    "_DIR",
    "_NAME",
    "_REF",
    "_ID",
    "_URL",
    "_ENDPOINT",
    "_HEADER",
];

/// Whether a variable or key name says its value is a credential.
pub fn credential_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    if POINTER_ENDINGS.iter().any(|e| upper.ends_with(e)) {
        return false;
    }
    CREDENTIAL_WORDS.iter().any(|w| upper.contains(w))
}

/// Whether a value looks like a generated credential rather than a word, path or setting.
pub fn high_entropy(value: &str) -> bool {
    let v = value.trim();
    if v.len() < 8 || v.contains("$(") || v.contains("${") || v.starts_with('/') {
        return false;
    }
    if v.contains(char::is_whitespace) {
        return false;
    }
    let classes = [
        v.bytes().any(|b| b.is_ascii_lowercase()),
        v.bytes().any(|b| b.is_ascii_uppercase()),
        v.bytes().any(|b| b.is_ascii_digit()),
        v.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    classes >= 2 && entropy(v) >= 3.0
}

/// A value as reports may show it: a known shape keeps its public marker and, when long
/// enough, its last three characters (`AKIA****XYZ`); anything else is stars.
pub fn mask(value: &str, shape: Option<Shape>) -> String {
    let Some(shape) = shape else {
        return "****".to_owned();
    };
    if shape == Shape::PrivateKey {
        return "-----BEGIN **** PRIVATE KEY-----".to_owned();
    }
    let chars: Vec<char> = value.chars().collect();
    let marker = shape.marker_len(value).min(chars.len());
    let head: String = chars[..marker].iter().collect();
    if chars.len() >= 20 {
        let tail: String = chars[chars.len() - 3..].iter().collect();
        format!("{head}****{tail}")
    } else {
        format!("{head}****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text with multi-byte characters (a C1 control, say) is scanned without slicing
    /// inside one, and a credential after it is still found.
    #[test]
    fn multi_byte_text_is_scanned_whole() {
        let text = "nginx:1.25\u{9b}2J\u{9d}0;C1 AKIAABCDEFGHIJKLMNOP é";
        let found = scan(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(&text[found[0].start..found[0].end], "AKIAABCDEFGHIJKLMNOP");
    }

    #[test]
    fn shapes_are_found_and_masked() {
        let text = "id=AKIAIOSFODNN7EXAMPLX and xoxb-123456789012-abcdefghij";
        let found = scan(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].shape, Shape::AwsAccessKey);
        let key = &text[found[0].start..found[0].end];
        assert_eq!(mask(key, Some(found[0].shape)), "AKIA****PLX");
        assert_eq!(found[1].shape, Shape::SlackToken);
    }

    #[test]
    fn words_and_paths_are_not_credentials() {
        assert!(!high_entropy("production"));
        assert!(!high_entropy("/var/run/secrets/token"));
        assert!(!high_entropy("$(OTHER)"));
        assert!(high_entropy("hQ8s-Zr2pW9xL4vK"));
        assert!(credential_name("DB_PASSWORD"));
        assert!(!credential_name("TOKEN_FILE"));
        assert!(!credential_name("LOG_LEVEL"));
    }
}
