//! The user's own rights on a release as a finding, from the API server's answers to the
//! console's access reviews (never guessed from RBAC objects).

use super::codes::RBAC_OWN_RIGHTS;
use crate::model::ops::Operation;
use crate::model::{Finding, FindingObject, Kind, Permission, ReleaseKey};

/// The object a release's actions write to.
fn object_of(key: &ReleaseKey) -> FindingObject {
    let kind = match key.kind {
        Kind::Deployment | Kind::CanaryPair => "Deployment",
        Kind::ArgoRollout => "Rollout",
        Kind::FlaggerCanary => "Canary",
    };
    FindingObject {
        kind: kind.to_owned(),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
    }
}

/// What the answers say the user may do with `key`; `None` before any answer.
pub fn own_rights(key: &ReleaseKey, answers: &[(Operation, &Permission)]) -> Option<Finding> {
    if answers.is_empty() {
        return None;
    }
    let mut denied: Vec<&str> = Vec::new();
    let mut reasons: Vec<&str> = Vec::new();
    let mut allowed: Vec<&str> = Vec::new();
    for (op, permission) in answers {
        match permission {
            Permission::Allowed => allowed.push(op.verb()),
            Permission::Denied(why) => {
                denied.push(op.verb());
                if !reasons.contains(&why.as_str()) {
                    reasons.push(why);
                }
            }
        }
    }
    let message = if denied.is_empty() {
        format!("you can {} this release", allowed.join(", "))
    } else {
        let refused = if denied.len() == 1 { "it" } else { "they" };
        let mut text = format!(
            "you cannot {}: {}; {refused} will be refused",
            denied.join(", "),
            reasons.join("; ")
        );
        if !allowed.is_empty() {
            text.push_str(&format!(" (you can {})", allowed.join(", ")));
        }
        text
    };
    Some(super::finding(
        &RBAC_OWN_RIGHTS,
        &object_of(key),
        "",
        message,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ReleaseKey {
        ReleaseKey {
            context: "prod".into(),
            namespace: "shop".into(),
            kind: Kind::ArgoRollout,
            name: "checkout".into(),
        }
    }

    #[test]
    fn no_answer_no_finding() {
        assert_eq!(own_rights(&key(), &[]), None);
    }

    #[test]
    fn every_allowed_action_is_named() {
        let yes = Permission::Allowed;
        let f = own_rights(
            &key(),
            &[(Operation::Promote, &yes), (Operation::Abort, &yes)],
        )
        .expect("a finding");
        assert_eq!(f.code, "RBAC008");
        assert_eq!(f.object.kind, "Rollout");
        assert_eq!(f.message, "you can promote, abort this release");
    }

    #[test]
    fn a_refusal_says_what_will_be_refused_and_why() {
        let yes = Permission::Allowed;
        let no = Permission::Denied("cannot patch rollouts.argoproj.io".into());
        let f = own_rights(
            &key(),
            &[
                (Operation::Promote, &no),
                (Operation::Pause, &no),
                (Operation::Restart, &yes),
            ],
        )
        .expect("a finding");
        assert_eq!(
            f.message,
            "you cannot promote, pause: cannot patch rollouts.argoproj.io; they will be refused \
             (you can restart)"
        );
    }
}
