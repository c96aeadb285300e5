//! Semantic versions as flagd's `sem_ver` reads them: an optional `v`/`V`, then
//! `MAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`, partial versions padded with zeros, build
//! metadata ignored. Prerelease and build are only allowed on a full version.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    pre: &'a str,
}

/// Parses `text`; `None` when it is not a version.
pub fn parse(text: &str) -> Option<Version<'_>> {
    let rest = text
        .strip_prefix('v')
        .or_else(|| text.strip_prefix('V'))
        .unwrap_or(text);
    let (major, rest) = number(rest)?;
    if rest.is_empty() {
        return Some(Version {
            major,
            minor: "0",
            patch: "0",
            pre: "",
        });
    }
    let (minor, rest) = number(rest.strip_prefix('.')?)?;
    if rest.is_empty() {
        return Some(Version {
            major,
            minor,
            patch: "0",
            pre: "",
        });
    }
    let (patch, mut rest) = number(rest.strip_prefix('.')?)?;
    let mut pre = "";
    if let Some(after) = rest.strip_prefix('-') {
        let end = after.find('+').unwrap_or(after.len());
        pre = &after[..end];
        if !pre.split('.').all(prerelease_ident) {
            return None;
        }
        rest = &after[end..];
    }
    if let Some(build) = rest.strip_prefix('+') {
        if !build.split('.').all(ident) {
            return None;
        }
        rest = "";
    }
    rest.is_empty().then_some(Version {
        major,
        minor,
        patch,
        pre,
    })
}

fn number(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let digits = &text[..end];
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    Some((digits, &text[end..]))
}

fn ident(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn prerelease_ident(part: &str) -> bool {
    ident(part) && !(is_numeric(part) && part.len() > 1 && part.starts_with('0'))
}

fn is_numeric(part: &str) -> bool {
    part.bytes().all(|b| b.is_ascii_digit())
}

/// Digit strings without leading zeros compare by length, then lexically.
fn compare_int(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (is_numeric(x), is_numeric(y)) {
                    (true, true) => compare_int(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

impl Version<'_> {
    pub fn compare(&self, other: &Version<'_>) -> Ordering {
        compare_int(self.major, other.major)
            .then_with(|| compare_int(self.minor, other.minor))
            .then_with(|| compare_int(self.patch, other.patch))
            .then_with(|| compare_pre(self.pre, other.pre))
    }
}

/// `left OP right` for flagd's operators; `None` for an unknown operator.
pub fn compare(left: &Version<'_>, op: &str, right: &Version<'_>) -> Option<bool> {
    let order = left.compare(right);
    Some(match op {
        "=" => order == Ordering::Equal,
        "!=" => order != Ordering::Equal,
        "<" => order == Ordering::Less,
        "<=" => order != Ordering::Greater,
        ">" => order == Ordering::Greater,
        ">=" => order != Ordering::Less,
        "^" => left.major == right.major,
        "~" => left.major == right.major && left.minor == right.minor,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, op: &str, b: &str) -> Option<bool> {
        compare(&parse(a)?, op, &parse(b)?)
    }

    #[test]
    fn parses_full_partial_and_prefixed_versions() {
        assert!(parse("1.2.3").is_some());
        assert!(parse("v1.2.3-rc.1+build.5").is_some());
        assert!(parse("V2").is_some());
        assert!(parse("1.2").is_some());
        assert_eq!(parse("1"), parse("1.0.0"));
        for bad in [
            "",
            "v",
            "1.",
            "1.2.",
            "01.2.3",
            "1.2.3.4",
            "1-rc",
            "1.2-rc",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3+",
            "1.2.3-a..b",
            "x1.2.3",
            "1.2.3 ",
        ] {
            assert!(parse(bad).is_none(), "{bad:?} parsed");
        }
    }

    #[test]
    fn orders_like_semver() {
        assert_eq!(cmp("2.0.0", "=", "2.0.0"), Some(true));
        assert_eq!(cmp("2.0.0-alpha", "<", "2.0.0"), Some(true));
        assert_eq!(cmp("1.0.0-alpha", "<", "1.0.0-alpha.1"), Some(true));
        assert_eq!(cmp("1.0.0-alpha.1", "<", "1.0.0-alpha.beta"), Some(true));
        assert_eq!(cmp("1.0.0-beta.2", "<", "1.0.0-beta.11"), Some(true));
        assert_eq!(cmp("1.0.0+a", "=", "1.0.0+b"), Some(true));
        assert_eq!(cmp("10.0.0", ">", "9.0.0"), Some(true));
        assert_eq!(cmp("1.2.0", ">=", "1.2"), Some(true));
        assert_eq!(cmp("1.2.0", "<=", "1.1.9"), Some(false));
        assert_eq!(cmp("1.2.0", "!=", "1.2.1"), Some(true));
        assert_eq!(cmp("3.0.1", "~", "3.0.0"), Some(true));
        assert_eq!(cmp("3.1.0", "~", "3.0.0"), Some(false));
        assert_eq!(cmp("3.1.0", "^", "3.0.0"), Some(true));
        assert_eq!(cmp("4.0.0", "^", "3.0.0"), Some(false));
        assert_eq!(cmp("1.0.0", "===", "1.0.0"), None);
    }
}
