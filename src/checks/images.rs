//! Images: mutable tags, registries, signature policy coverage and vulnerability reports.

use super::inventory::Inventory;
use super::workloads::{self, Template};
use super::{codes, finding, Settings};
use crate::model::Finding;
use serde_json::Value;

/// An image reference taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(image: &str) -> ImageRef {
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d.to_owned())),
            None => (image, None),
        };
        let (path, tag) = match rest.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, Some(t.to_owned())),
            _ => (rest, None),
        };
        let (registry, repository) = match path.split_once('/') {
            Some((first, repo))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), repo.to_owned())
            }
            Some(_) => ("docker.io".to_owned(), path.to_owned()),
            None => ("docker.io".to_owned(), format!("library/{path}")),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => "docker.io".to_owned(),
            _ => registry,
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// The reference with the registry spelled out, as policies match it.
    pub fn full(&self) -> String {
        let mut s = format!("{}/{}", self.registry, self.repository);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

/// Glob match with `*` (any run, `**` too) and `?` (one character).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            while pi < p.len() && p[pi] == '*' {
                pi += 1;
            }
            star = Some((pi, ti));
        } else if let Some((sp, st)) = star {
            pi = sp;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether a registry (or registry/repository prefix) allows this image.
fn allowed(image: &ImageRef, allow: &[String]) -> bool {
    let path = format!("{}/{}", image.registry, image.repository);
    allow.iter().any(|a| {
        let a = a.trim_end_matches('/');
        image.registry == a || path == a || path.starts_with(&format!("{a}/"))
    })
}

pub fn check(inv: &Inventory, settings: &Settings, out: &mut Vec<Finding>) {
    let policies = SignaturePolicies::read(inv);
    let trivy = inv.has_crd(
        "vulnerabilityreports.aquasecurity.github.io",
        "aquasecurity.github.io",
        "VulnerabilityReport",
    );
    for t in workloads::templates(inv) {
        containers(inv, &t, settings, policies.as_ref(), trivy, out);
    }
    for sides in workloads::sides(inv) {
        for (path, c) in sides.canary.containers() {
            let (Some(name), Some(image)) = (
                c.get("name").and_then(Value::as_str),
                c.get("image").and_then(Value::as_str),
            ) else {
                continue;
            };
            let Some(stable) = sides.stable.image_of(name) else {
                continue;
            };
            let (a, b) = (ImageRef::parse(stable), ImageRef::parse(image));
            if a.registry != b.registry {
                out.push(finding(
                    &codes::IMG_CANARY_REGISTRY,
                    &sides.release.id(),
                    format!("{path}.image"),
                    format!(
                        "container {name}: the canary pulls from {}, the stable from {}",
                        b.registry, a.registry
                    ),
                ));
            }
        }
    }
}

fn containers(
    inv: &Inventory,
    t: &Template,
    settings: &Settings,
    policies: Option<&SignaturePolicies>,
    trivy: bool,
    out: &mut Vec<Finding>,
) {
    let id = t.obj.id();
    for (cpath, c) in t.containers() {
        let Some(image) = c.get("image").and_then(Value::as_str) else {
            continue;
        };
        let path = format!("{cpath}.image");
        let r = ImageRef::parse(image);
        match (&r.tag, &r.digest) {
            (Some(tag), None) if tag == "latest" => out.push(finding(
                &codes::IMG_MUTABLE_TAG,
                &id,
                &path,
                format!("{image} uses the latest tag"),
            )),
            (None, None) => out.push(finding(
                &codes::IMG_MUTABLE_TAG,
                &id,
                &path,
                format!("{image} has no tag, so it pulls latest"),
            )),
            (Some(_), None) => out.push(finding(
                &codes::IMG_NO_DIGEST,
                &id,
                &path,
                format!("{image} is a mutable tag, not pinned by digest"),
            )),
            _ => {}
        }
        if !settings.allowed_registries.is_empty() && !allowed(&r, &settings.allowed_registries) {
            out.push(finding(
                &codes::IMG_REGISTRY,
                &id,
                &path,
                format!(
                    "{image} comes from {}, which is not in the allowed registries ({})",
                    r.registry,
                    settings.allowed_registries.join(", ")
                ),
            ));
        }
        if let Some(p) = policies {
            if !p.covers(image, &r) {
                out.push(finding(
                    &codes::IMG_UNSIGNED,
                    &id,
                    &path,
                    format!(
                        "{image} is not covered by any signature policy ({})",
                        p.kinds()
                    ),
                ));
            }
        }
        if trivy {
            vulnerabilities(inv, &id, &path, image, &r, out);
        }
    }
}

fn vulnerabilities(
    inv: &Inventory,
    id: &crate::model::FindingObject,
    path: &str,
    image: &str,
    r: &ImageRef,
    out: &mut Vec<Finding>,
) {
    let report = inv
        .of("aquasecurity.github.io", "VulnerabilityReport")
        .filter(|v| v.key.namespace == id.namespace)
        .find(|v| {
            let rep = &v.value.get("report").cloned().unwrap_or_default();
            let s = |p: &str| rep.pointer(p).and_then(Value::as_str);
            let server = s("/registry/server").map(|s| ImageRef::parse(&format!("{s}/x")).registry);
            let repo = s("/artifact/repository");
            let repo_ok = repo == Some(r.repository.as_str())
                || repo.map(|p| format!("library/{p}")).as_deref() == Some(r.repository.as_str());
            let server_ok = server.is_none_or(|s| s == r.registry);
            let version_ok = match (&r.digest, &r.tag) {
                (Some(d), _) if s("/artifact/digest") == Some(d.as_str()) => true,
                (_, Some(t)) => s("/artifact/tag") == Some(t.as_str()),
                _ => s("/artifact/tag") == Some("latest"),
            };
            repo_ok && server_ok && version_ok
        });
    let Some(report) = report else {
        out.push(finding(
            &codes::IMG_NO_SCAN,
            id,
            path,
            format!("no VulnerabilityReport found for {image}"),
        ));
        return;
    };
    let count = |field: &str| {
        report
            .value
            .pointer(&format!("/report/summary/{field}"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let (critical, high) = (count("criticalCount"), count("highCount"));
    let text = format!(
        "{image}: {critical} critical and {high} high vulnerabilities (VulnerabilityReport {})",
        report.key.name
    );
    if critical > 0 {
        out.push(finding(&codes::IMG_CRITICAL_VULNS, id, path, text));
    } else if high > 0 {
        out.push(finding(&codes::IMG_HIGH_VULNS, id, path, text));
    }
}

/// The image patterns of every signature policy, where such policies can exist.
struct SignaturePolicies {
    kyverno: Option<Vec<String>>,
    sigstore: Option<Vec<String>>,
}

impl SignaturePolicies {
    fn read(inv: &Inventory) -> Option<SignaturePolicies> {
        let kyverno = inv
            .has_crd("clusterpolicies.kyverno.io", "kyverno.io", "ClusterPolicy")
            .then(|| {
                inv.of("kyverno.io", "ClusterPolicy")
                    .chain(inv.of("kyverno.io", "Policy"))
                    .flat_map(|p| {
                        p.value
                            .pointer("/spec/rules")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .flat_map(|rule| {
                                rule.get("verifyImages")
                                    .and_then(Value::as_array)
                                    .into_iter()
                                    .flatten()
                            })
                            .flat_map(|v| {
                                let refs = v.get("imageReferences").and_then(Value::as_array);
                                let one = v.get("image").and_then(Value::as_str);
                                refs.into_iter()
                                    .flatten()
                                    .filter_map(Value::as_str)
                                    .chain(one)
                                    .map(str::to_owned)
                                    .collect::<Vec<_>>()
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect()
            });
        let sigstore = inv
            .has_crd(
                "clusterimagepolicies.policy.sigstore.dev",
                "policy.sigstore.dev",
                "ClusterImagePolicy",
            )
            .then(|| {
                inv.of("policy.sigstore.dev", "ClusterImagePolicy")
                    .flat_map(|p| {
                        p.value
                            .pointer("/spec/images")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|i| i.get("glob").and_then(Value::as_str))
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    })
                    .collect()
            });
        (kyverno.is_some() || sigstore.is_some()).then_some(SignaturePolicies { kyverno, sigstore })
    }

    fn covers(&self, image: &str, r: &ImageRef) -> bool {
        let full = r.full();
        self.kyverno
            .iter()
            .chain(self.sigstore.iter())
            .flatten()
            .any(|p| glob(p, image) || glob(p, &full))
    }

    fn kinds(&self) -> &'static str {
        match (&self.kyverno, &self.sigstore) {
            (Some(_), Some(_)) => "Kyverno verifyImages, sigstore ClusterImagePolicy",
            (Some(_), None) => "Kyverno verifyImages",
            _ => "sigstore ClusterImagePolicy",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r = ImageRef::parse("nginx");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag),
            ("docker.io", "library/nginx", None)
        );
        let r = ImageRef::parse("localhost:5000/app:1.2@sha256:abc");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        assert!(glob("ghcr.io/acme/*", "ghcr.io/acme/app:1"));
        assert!(!glob("ghcr.io/acme/*", "docker.io/acme/app:1"));
    }
}
