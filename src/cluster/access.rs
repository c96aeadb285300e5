//! Asks the API server, before an action, whether the current user may carry it out.
//!
//! Each operation needs a fixed set of (verb, resource) permissions: the ones the calls in
//! `actions` make. The console checks them with SelfSubjectAccessReviews so that it can
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
const PATCH_DEPLOYMENTS: AccessCheck = AccessCheck::new("patch", "apps", "deployments");
const LIST_REPLICASETS: AccessCheck = AccessCheck::new("list", "apps", "replicasets");

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
        // Not acted on in a cluster yet (see `actions::supports`).
        Kind::ArgoRollout | Kind::FlaggerCanary => Vec::new(),
    }
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

    /// Whether the user of `client` may run `op` on a `kind` release in `namespace`.
    /// `context` only keys the cache; `client` must be the one for that context.
    pub async fn check(
        &self,
        client: &Client,
        context: &str,
        namespace: &str,
        kind: Kind,
        op: Operation,
    ) -> Result<Permission, AccessError> {
        if let Err(why) = supports(kind, op) {
            return Ok(Permission::Denied(format!(
                "{} is not available here: {why}",
                op.verb()
            )));
        }
        let mut missing = Vec::new();
        for check in required_access(kind, op) {
            let answer = self.answer(client, context, namespace, check).await?;
            if !answer.allowed {
                let mut text = format!(
                    "not allowed to {} {} in {}",
                    check.verb,
                    check.resource_name(),
                    where_(namespace)
                );
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
            .answer(client, context, namespace, check)
            .await?
            .allowed)
    }

    async fn answer(
        &self,
        client: &Client,
        context: &str,
        namespace: &str,
        check: AccessCheck,
    ) -> Result<Answer, AccessError> {
        let key = CacheKey {
            context: context.to_string(),
            namespace: namespace.to_string(),
            check,
        };
        if let Some(answer) = self.lock().get(&key) {
            if answer.at.elapsed() < self.ttl {
                return Ok(answer.clone());
            }
        }
        let answer = review(client, context, namespace, check).await?;
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
) -> Result<Answer, AccessError> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(namespace.to_string()),
                verb: Some(check.verb.to_string()),
                group: Some(check.group.to_string()),
                resource: Some(check.resource.to_string()),
                subresource: check.subresource.map(str::to_string),
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
        assert!(names(Kind::ArgoRollout, Operation::Abort).is_empty());
        assert_eq!(CREATE_EVENTS.to_string(), "create events");
    }
}
