//! Events: a core/v1 Event on every action's target, for `kubectl describe` and every
//! event watcher.

use super::*;
use chrono::Utc;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::PostParams;

/// The API server rejects longer event messages on newer versions.
const EVENT_MESSAGE_LIMIT: usize = 1024;

/// Creates a core/v1 Event on the action's target, so that `kubectl describe` and every
/// event watcher show who did what. Returns the event's name.
pub async fn post_event(
    client: &Client,
    request: &ActionRequest,
    outcome: &ActionOutcome,
    user: &str,
) -> Result<String, ActionFailure> {
    let key = &request.key;
    let ns = key.namespace.as_str();
    let (api_version, kind) = match key.kind {
        Kind::Deployment | Kind::CanaryPair => ("apps/v1", "Deployment"),
        Kind::ArgoRollout => ("argoproj.io/v1alpha1", "Rollout"),
        Kind::FlaggerCanary => ("flagger.app/v1beta1", "Canary"),
    };
    let uid = match key.kind {
        Kind::Deployment | Kind::CanaryPair => {
            let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
            match tokio::time::timeout(CALL_TIMEOUT, api.get_opt(&key.name)).await {
                Ok(Ok(Some(d))) => d.metadata.uid,
                _ => None,
            }
        }
        _ => None,
    };
    let (event_type, result) = match &outcome.result {
        Ok(text) => ("Normal", format!("ok: {text}")),
        Err(failure) => ("Warning", format!("error: {failure}")),
    };
    let mut message = format!(
        "{user} ran {}{}",
        request.op.verb(),
        if request.dry_run { " (dry run)" } else { "" }
    );
    if let Some(reason) = request.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        // Whoever reads the Event (kubectl, other consoles) gets no control sequence from us.
        message.push_str(&format!(" because: {}", crate::model::text::inert(reason)));
    }
    message.push_str(&format!("; {result}"));
    let target = EventTarget {
        api_version,
        kind,
        namespace: ns,
        name: &key.name,
        uid,
    };
    let event = ripcord_event(
        &target,
        &event_reason(request.op.kind()),
        event_type,
        &message,
        user,
        Utc::now(),
    );
    let api: Api<Event> = Api::namespaced(client.clone(), ns);
    let params = PostParams {
        dry_run: request.dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
    };
    let created = call(api.create(&params, &event), "create", "events", ns, None).await?;
    Ok(created.metadata.name.unwrap_or_default())
}

/// The event reason for an operation: `Ripcord` and the verb in PascalCase.
pub fn event_reason(op: Operation) -> String {
    let mut reason = String::from("Ripcord");
    for part in op.verb().split('-') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            reason.extend(first.to_uppercase());
            reason.push_str(chars.as_str());
        }
    }
    reason
}

fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The object an Event is about.
pub struct EventTarget<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    /// Lets `kubectl describe` find the event; without it the event still lists.
    pub uid: Option<String>,
}

/// A core/v1 Event from ripcord on `target`, as `user`: the message made inert and cut to
/// what the API server accepts.
pub fn ripcord_event(
    target: &EventTarget,
    reason: &str,
    event_type: &str,
    message: &str,
    user: &str,
    now: chrono::DateTime<Utc>,
) -> Event {
    let time = k8s_openapi::jiff::Timestamp::from_second(now.timestamp())
        .ok()
        .map(Time);
    Event {
        metadata: ObjectMeta {
            // client-go's naming: the object's name and a nanosecond stamp in hex.
            // 236 + "." + 16 hex digits fits the 253 a name may have.
            name: Some(format!(
                "{}.{:x}",
                target.name.chars().take(236).collect::<String>(),
                now.timestamp_nanos_opt().unwrap_or_default()
            )),
            namespace: Some(target.namespace.to_string()),
            ..Default::default()
        },
        involved_object: ObjectReference {
            api_version: Some(target.api_version.into()),
            kind: Some(target.kind.into()),
            name: Some(target.name.to_string()),
            namespace: Some(target.namespace.to_string()),
            uid: target.uid.clone(),
            ..Default::default()
        },
        reason: Some(reason.into()),
        message: Some(truncate(
            &crate::model::text::inert(message),
            EVENT_MESSAGE_LIMIT,
        )),
        type_: Some(event_type.into()),
        source: Some(EventSource {
            component: Some("ripcord".into()),
            host: None,
        }),
        reporting_component: Some("ripcord".into()),
        reporting_instance: Some(user.to_string()),
        first_timestamp: time.clone(),
        last_timestamp: time,
        count: Some(1),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_reasons_are_pascal_case() {
        assert_eq!(event_reason(Operation::Pause), "RipcordPause");
        assert_eq!(event_reason(Operation::Rollback), "RipcordRollback");
        assert_eq!(event_reason(Operation::SetWeight), "RipcordSetWeight");
        assert_eq!(event_reason(Operation::PromoteFull), "RipcordPromoteFull");
    }

    #[test]
    fn long_event_messages_are_cut_on_a_char_boundary() {
        let text = "é".repeat(600);
        let cut = truncate(&text, 1024);
        assert!(cut.len() <= 1024 && cut.ends_with("..."));
    }
}
