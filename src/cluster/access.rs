//! Asks the API server, before an action, whether the current user may carry it out.
//!
//! Each operation needs a fixed set of (verb, resource, subresource) permissions: the ones
//! the calls in `actions` make, on the objects they make them on. Checks about one object
//! carry its name, so RBAC rules scoped with `resourceNames` read as allowed. The console checks them with SelfSubjectAccessReviews so that it can
//! grey out a key and say what is missing instead of failing halfway through a promotion.
//! Answers are cached per context and namespace for a few minutes.

use super::actions::supports;
use crate::model::ops::Operation;
use crate::model::Kind;
use crate::model::Permission;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One permission an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccessCheck {
    pub verb: &'static str,
    /// The API group; "" for the core group.
    pub group: &'static str,
    pub resource: &'static str,
    pub subresource: Option<&'static str>,
}

impl AccessCheck {
    const fn new(verb: &'static str, group: &'static str, resource: &'static str) -> Self {
        AccessCheck {
            verb,
            group,
            resource,
            subresource: None,
        }
    }

    /// `deployments.apps`, `rollouts.argoproj.io/status`, `events`.
    pub fn resource_name(&self) -> String {
        let mut name = self.resource.to_string();
        if !self.group.is_empty() {
            name.push('.');
            name.push_str(self.group);
        }
        if let Some(sub) = self.subresource {
            name.push('/');
            name.push_str(sub);
        }
        name
    }
}

impl fmt::Display for AccessCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.resource_name())
    }
}

const GET_DEPLOYMENTS: AccessCheck = AccessCheck::new("get", "apps", "deployments");
const LIST_DEPLOYMENTS: AccessCheck = AccessCheck::new("list", "apps", "deployments");
pub const PATCH_DEPLOYMENTS: AccessCheck = AccessCheck::new("patch", "apps", "deployments");
const LIST_REPLICASETS: AccessCheck = AccessCheck::new("list", "apps", "replicasets");
const GET_ROLLOUTS: AccessCheck = AccessCheck::new("get", "argoproj.io", "rollouts");
const PATCH_ROLLOUTS: AccessCheck = AccessCheck::new("patch", "argoproj.io", "rollouts");
const PATCH_ROLLOUTS_STATUS: AccessCheck = AccessCheck {
    subresource: Some("status"),
    ..PATCH_ROLLOUTS
};
const GET_CANARIES: AccessCheck = AccessCheck::new("get", "flagger.app", "canaries");
const PATCH_CANARIES: AccessCheck = AccessCheck::new("patch", "flagger.app", "canaries");
/// A POST through the apiserver's service proxy to a Flagger gate.
pub const PROXY_SERVICES: AccessCheck = AccessCheck {
    subresource: Some("proxy"),
    ..AccessCheck::new("create", "", "services")
};

/// A check beyond what `required_access` lists: a further object the calls touch, by name,
/// in its own namespace when that is not the release's, and what it is in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Further {
    pub check: AccessCheck,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub what: Option<String>,
}

/// What `actions::post_event` needs. Not part of `required_access`: the action itself
/// works without it, and a failed event is reported, not fatal.
pub const CREATE_EVENTS: AccessCheck = AccessCheck::new("create", "", "events");

/// Exactly the permissions the calls behind `op` on `kind` need, in the order they are made.
/// Empty when the kind does not support the operation.
pub fn required_access(kind: Kind, op: Operation) -> Vec<AccessCheck> {
    use Operation::*;
    if supports(kind, op).is_err() {
        return Vec::new();
    }
    match kind {
        // get the Deployment, (list its ReplicaSets), patch it; scaling is a patch of
        // spec.replicas, not the scale subresource.
        Kind::Deployment => match op {
            Rollback => vec![GET_DEPLOYMENTS, LIST_REPLICASETS, PATCH_DEPLOYMENTS],
            _ => vec![GET_DEPLOYMENTS, PATCH_DEPLOYMENTS],
        },
        // get the stable, list Deployments to find the canary by label, patch both.
        Kind::CanaryPair => match op {
            Rollback => vec![GET_DEPLOYMENTS, LIST_REPLICASETS, PATCH_DEPLOYMENTS],
            _ => vec![GET_DEPLOYMENTS, LIST_DEPLOYMENTS, PATCH_DEPLOYMENTS],
        },
        // The plugin's calls: a get, then status patches (promote also unpauses the spec),
        // or spec patches; undo lists the ReplicaSets and patches the template.
        Kind::ArgoRollout => match op {
            Promote | PromoteFull => vec![GET_ROLLOUTS, PATCH_ROLLOUTS_STATUS, PATCH_ROLLOUTS],
            Abort | Retry | SetWeight => vec![GET_ROLLOUTS, PATCH_ROLLOUTS_STATUS],
            Pause | Resume | Restart => vec![GET_ROLLOUTS, PATCH_ROLLOUTS],
            Rollback => vec![GET_ROLLOUTS, LIST_REPLICASETS, PATCH_ROLLOUTS],
        },
        // Spec patches, or a POST to the Canary's gate through the service proxy.
        Kind::FlaggerCanary => match op {
            PromoteFull | Pause | Resume => vec![GET_CANARIES, PATCH_CANARIES],
            Promote | Abort | Rollback => vec![GET_CANARIES, PROXY_SERVICES],
            Retry | Restart | SetWeight => Vec::new(),
        },
    }
}

/// The object a check is about, when the call names one: the release itself for a get or a
/// patch of it, nothing for a list. `None` asks about every object of the resource.
pub fn object_of(kind: Kind, check: &AccessCheck, name: &str) -> Option<String> {
    let own = match kind {
        Kind::Deployment | Kind::CanaryPair => check.resource == "deployments",
        Kind::ArgoRollout => check.resource == "rollouts",
        Kind::FlaggerCanary => check.resource == "canaries",
    };
    (own && check.verb != "list" && !name.is_empty()).then(|| name.to_string())
}

/// Why a preflight could not be answered; distinct from a denial so the caller can say
/// "could not check" and still let the user try.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("could not check permissions in {context}: cluster unreachable: {message}")]
    Unreachable { context: String, message: String },
    #[error("could not check permissions in {context}: {message}")]
    Failed { context: String, message: String },
    /// The API server answered 401: the kubeconfig's credentials are not accepted.
    #[error("credentials rejected by {context}: {message}")]
    CredentialsRejected { context: String, message: String },
    /// The kubeconfig gave no credentials (an exec plugin that failed, say).
    #[error("no credentials for {context}: {message}")]
    Credentials { context: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    context: String,
    namespace: String,
    check: AccessCheck,
    name: Option<String>,
}

#[derive(Debug, Clone)]
struct Answer {
    allowed: bool,
    /// The authorizer's reason or evaluation error, when it gave one.
    detail: String,
    at: Instant,
}

/// SelfSubjectAccessReview answers, per (context, namespace, verb, group, resource,
/// subresource). Shared by reference: the cache is behind a mutex that is never held
/// across a request.
#[derive(Debug)]
pub struct AccessCache {
    ttl: Duration,
    answers: Mutex<HashMap<CacheKey, Answer>>,
}

impl Default for AccessCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_TTL)
    }
}

impl AccessCache {
    /// A new RoleBinding should show without a restart: shorter than the console's own
    /// `app::PERMISSION_TTL_SECS`, so that when the console asks again the server answers.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30);
    const REVIEW_TIMEOUT: Duration = Duration::from_secs(10);

    pub fn new(ttl: Duration) -> Self {
        AccessCache {
            ttl,
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets every answer for `context`, e.g. after an action came back Forbidden.
    pub fn invalidate(&self, context: &str) {
        self.lock().retain(|k, _| k.context != context);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Whether the user of `client` may run `op` on every `kind` release in `namespace`.
    /// `context` only keys the cache; `client` must be the one for that context.
    pub async fn check(
        &self,
        client: &Client,
        context: &str,
        namespace: &str,
        kind: Kind,
        op: Operation,
    ) -> Result<Permission, AccessError> {
        let checks = required_access(kind, op)
            .into_iter()
            .map(|check| Further {
                check,
                name: None,
                namespace: None,
                what: None,
            })
            .collect();
        self.check_all(client, context, namespace, kind, op, checks)
            .await
    }

    /// Whether the user of `client` may run `op` on the release `name`: each check about
    /// one object carries that object's name. `extra` names further objects the calls
    /// touch (a pair's canary Deployment).
    #[allow(clippy::too_many_arguments)]
    pub async fn check_release(
        &self,
        client: &Client,
        context: &str,
        namespace: &str,
        kind: Kind,
        name: &str,
        op: Operation,
        extra: &[Further],
    ) -> Result<Permission, AccessError> {
        // A check `extra` names an object for replaces the check about every object.
        let mut checks: Vec<Further> = required_access(kind, op)
            .into_iter()
            .filter(|c| !extra.iter().any(|e| e.check == *c))
            .map(|check| Further {
                check,
                name: object_of(kind, &check, name),
                namespace: None,
                what: None,
            })
            .collect();
        checks.extend(extra.iter().cloned());
        self.check_all(client, context, namespace, kind, op, checks)
            .await
    }

    async fn check_all(
        &self,
        client: &Client,
        context: &str,
        namespace: &str,
        kind: Kind,
        op: Operation,
        checks: Vec<Further>,
    ) -> Result<Permission, AccessError> {
        if let Err(why) = supports(kind, op) {
            return Ok(Permission::Denied(format!(
                "{} is not available here: {why}",
                op.verb()
            )));
        }
        let mut missing = Vec::new();
        for Further {
            check,
            name,
            namespace: own,
            what,
        } in checks
        {
            let namespace = own.as_deref().unwrap_or(namespace);
            let answer = self
                .answer(client, context, namespace, check, name.as_deref())
                .await?;
            if !answer.allowed {
                let object = name.map(|n| format!(" {n:?}")).unwrap_or_default();
                let mut text = format!(
                    "not allowed to {} {}{object} in {}",
                    check.verb,
                    check.resource_name(),
                    where_(namespace)
                );
                if let Some(what) = what {
                    text.push_str(&format!(" ({what})"));
                }
                if !answer.detail.is_empty() {
                    text.push_str(&format!(" ({})", answer.detail));
                }
                missing.push(text);
            }
        }
        Ok(if missing.is_empty() {
            Permission::Allowed
        } else {
            Permission::Denied(missing.join("; "))
        })
    }

    /// One check, from the cache or from the API server.
    pub async fn allowed(
        &self,
        client: &Client,
        context: &str,
        namespace: &str,
        check: AccessCheck,
    ) -> Result<bool, AccessError> {
        Ok(self
            .answer(client, context, namespace, check, None)
            .await?
            .allowed)
    }

    async fn answer(
        &self,
        client: &Client,
        context: &str,
        namespace: &str,
        check: AccessCheck,
        name: Option<&str>,
    ) -> Result<Answer, AccessError> {
        let key = CacheKey {
            context: context.to_string(),
            namespace: namespace.to_string(),
            check,
            name: name.map(str::to_string),
        };
        if let Some(answer) = self.lock().get(&key) {
            if answer.at.elapsed() < self.ttl {
                return Ok(answer.clone());
            }
        }
        let answer = review(client, context, namespace, check, name).await?;
        self.lock().insert(key, answer.clone());
        Ok(answer)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Answer>> {
        // A panic while holding the lock cannot leave a half-written answer; keep going.
        self.answers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An empty namespace asks about every namespace at once.
fn where_(namespace: &str) -> &str {
    if namespace.is_empty() {
        "all namespaces"
    } else {
        namespace
    }
}

async fn review(
    client: &Client,
    context: &str,
    namespace: &str,
    check: AccessCheck,
    name: Option<&str>,
) -> Result<Answer, AccessError> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(namespace.to_string()),
                verb: Some(check.verb.to_string()),
                group: Some(check.group.to_string()),
                resource: Some(check.resource.to_string()),
                subresource: check.subresource.map(str::to_string),
                name: name.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let reply = tokio::time::timeout(
        AccessCache::REVIEW_TIMEOUT,
        api.create(&PostParams::default(), &review),
    )
    .await;
    let created = match reply {
        Ok(Ok(created)) => created,
        Ok(Err(kube::Error::Api(status))) if status.code == 401 => {
            return Err(AccessError::CredentialsRejected {
                context: context.to_string(),
                message: crate::model::text::inert_owned(&status.message),
            })
        }
        Ok(Err(err @ kube::Error::Auth(_))) => {
            let mut message = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            return Err(AccessError::Credentials {
                context: context.to_string(),
                message: crate::model::text::inert_owned(&message),
            });
        }
        Ok(Err(err)) => {
            let failure = super::actions::failure(
                err,
                "create",
                "selfsubjectaccessreviews",
                where_(namespace),
                None,
            );
            return Err(match failure {
                crate::model::ops::ActionFailure::Unreachable(message) => {
                    AccessError::Unreachable {
                        context: context.to_string(),
                        message,
                    }
                }
                other => AccessError::Failed {
                    context: context.to_string(),
                    message: other.to_string(),
                },
            });
        }
        Err(_) => {
            return Err(AccessError::Unreachable {
                context: context.to_string(),
                message: format!(
                    "no answer within {} s",
                    AccessCache::REVIEW_TIMEOUT.as_secs()
                ),
            })
        }
    };
    let status = created.status.unwrap_or_default();
    let detail = if status.allowed {
        String::new()
    } else {
        [status.reason, status.evaluation_error]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    };
    Ok(Answer {
        allowed: status.allowed && !status.denied.unwrap_or(false),
        detail,
        at: Instant::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_operation_needs_something_and_unsupported_ones_nothing() {
        let ops = Operation::ALL;
        for kind in [
            Kind::Deployment,
            Kind::CanaryPair,
            Kind::ArgoRollout,
            Kind::FlaggerCanary,
        ] {
            for op in ops {
                let needs = required_access(kind, op);
                assert_eq!(
                    needs.is_empty(),
                    supports(kind, op).is_err(),
                    "{kind:?} {op:?}: {needs:?}"
                );
            }
        }
    }

    #[test]
    fn checks_about_the_release_carry_its_name_and_lists_none() {
        let named = |kind, op| {
            required_access(kind, op)
                .iter()
                .map(|c| (c.to_string(), object_of(kind, c, "web")))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            named(Kind::Deployment, Operation::Rollback),
            [
                ("get deployments.apps".to_string(), Some("web".to_string())),
                ("list replicasets.apps".to_string(), None),
                (
                    "patch deployments.apps".to_string(),
                    Some("web".to_string())
                ),
            ]
        );
        assert_eq!(
            named(Kind::ArgoRollout, Operation::Abort)[1],
            (
                "patch rollouts.argoproj.io/status".to_string(),
                Some("web".to_string())
            )
        );
        assert_eq!(
            named(Kind::CanaryPair, Operation::SetWeight)[1],
            ("list deployments.apps".to_string(), None)
        );
        assert_eq!(named(Kind::FlaggerCanary, Operation::Abort)[1].1, None);
    }

    #[test]
    fn checks_match_the_calls_actions_make() {
        let names = |k, o| {
            required_access(k, o)
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(Kind::Deployment, Operation::Pause),
            ["get deployments.apps", "patch deployments.apps"]
        );
        assert_eq!(
            names(Kind::Deployment, Operation::Rollback),
            [
                "get deployments.apps",
                "list replicasets.apps",
                "patch deployments.apps"
            ]
        );
        assert_eq!(
            names(Kind::CanaryPair, Operation::SetWeight),
            [
                "get deployments.apps",
                "list deployments.apps",
                "patch deployments.apps"
            ]
        );
        assert_eq!(
            names(Kind::ArgoRollout, Operation::Abort),
            [
                "get rollouts.argoproj.io",
                "patch rollouts.argoproj.io/status"
            ]
        );
        assert_eq!(
            names(Kind::ArgoRollout, Operation::Promote),
            [
                "get rollouts.argoproj.io",
                "patch rollouts.argoproj.io/status",
                "patch rollouts.argoproj.io"
            ]
        );
        assert_eq!(
            names(Kind::FlaggerCanary, Operation::Promote),
            ["get canaries.flagger.app", "create services/proxy"]
        );
        assert_eq!(CREATE_EVENTS.to_string(), "create events");
    }
}
