//! The demo's feature flags: one flagd document, edited by the same code as a cluster's
//! definitions, and the kill switch: a flag whose `on` variant makes a canary fail, so that
//! turning it off brings the canary's error rate down.

use super::{Time, World, DEMO_USER};
use crate::flags::flip::{self, FlagRequest, Prepared, Written};
use crate::flags::{Flag, FlagSet, FlagType};
use crate::model::Kind;
use serde_json::Value;
use std::sync::Arc;

/// The demo's flag set, as its flags name their source.
pub const DEMO_SOURCE: &str = "demo/flags.json";

/// Users a canary's share of a flag is measured over.
const USERS: usize = 200;

/// A flag that causes a canary's climbing errors while it is on.
#[derive(Debug, Clone)]
pub struct KillSwitch {
    pub flag: String,
    /// What the canary's users are evaluated with, beside their targeting keys.
    pub context: Value,
    pub share: Share,
}

/// The share of a canary's requests a flag is on for, from each time on; all of them
/// before the first change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Share(Arc<Vec<(Time, f64)>>);

impl Share {
    pub fn at(&self, t: Time) -> f64 {
        self.0
            .iter()
            .rev()
            .find(|(from, _)| *from <= t)
            .map_or(1.0, |(_, share)| *share)
    }

    fn push(&mut self, from: Time, share: f64) {
        Arc::make_mut(&mut self.0).push((from, share));
    }
}

/// The share of users `flag` is on for: those it gives `true`.
pub fn share_on(flag: &Flag, context: &Value) -> f64 {
    let on = (0..USERS)
        .filter(|i| {
            let mut user = context.clone();
            if let Value::Object(fields) = &mut user {
                fields.insert("targetingKey".into(), Value::String(format!("user-{i}")));
            }
            flag.evaluate(&user, 0, FlagType::Any).value == Some(Value::Bool(true))
        })
        .count();
    on as f64 / USERS as f64
}

impl World {
    /// Applies `request` to the demo's flag set without writing it: the diff to confirm.
    pub fn flag_prepare(&self, request: &FlagRequest) -> Result<Prepared, String> {
        if request.source != DEMO_SOURCE {
            return Err(format!("{} is not the demo's flag set", request.source));
        }
        let (_, diff) = flip::apply(&self.flag_doc, request)?;
        Ok(Prepared {
            request: request.clone(),
            diff,
            version: self.flag_version.to_string(),
        })
    }

    /// Writes `request` over the flag set at `version`: every release's flags and kill
    /// switches follow, and an Event on the release says who changed what and why.
    pub fn flag_write(&mut self, request: &FlagRequest, version: &str) -> Written {
        if version != self.flag_version.to_string() {
            return match self.flag_prepare(request) {
                Ok(prepared) => Written::Changed(Box::new(prepared)),
                Err(why) => Written::Failed(why),
            };
        }
        if request.source != DEMO_SOURCE {
            return Written::Failed(format!("{} is not the demo's flag set", request.source));
        }
        let after = match flip::apply(&self.flag_doc, request) {
            Ok((after, _)) => after,
            Err(why) => return Written::Failed(why),
        };
        let set = match FlagSet::from_value(DEMO_SOURCE, after.clone(), None) {
            Ok(set) => set,
            Err(e) => return Written::Failed(e.to_string()),
        };
        self.flag_doc = after;
        self.flag_version += 1;
        let now = self.now;
        for entry in &mut self.entries {
            for flag in &mut entry.flags.flags {
                // Only a flag whose definition changed is replaced: the others keep where
                // they were read, so no other release's flags look changed.
                if let Some(new) = set.flags.get(&flag.key) {
                    if !flag.same_definition(new) {
                        let line = flag.line;
                        *flag = new.clone();
                        flag.line = line;
                    }
                }
            }
            if let Some(switch) = &mut entry.kill_switch {
                if let Some(flag) = set.flags.get(&switch.flag) {
                    let share = share_on(flag, &switch.context);
                    switch.share.push(now, share);
                }
            }
        }
        let key = &request.key;
        let kind = match key.kind {
            Kind::ArgoRollout => "Rollout",
            Kind::FlaggerCanary => "Canary",
            Kind::Deployment | Kind::CanaryPair => "Deployment",
        };
        let message = format!("{DEMO_USER}: {}", request.message());
        self.events.entry(key.context.clone()).or_default().normal(
            &key.namespace,
            kind,
            &key.name,
            "FlagEdited",
            &message,
            now,
        );
        if let Some(prometheus) = self.prometheus.clone() {
            prometheus.update(self);
        }
        Written::Done(request.describe())
    }

    /// The demo's flags as flagd JSON, as edits see them.
    pub fn flag_document(&self) -> &Value {
        &self.flag_doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_share_holds_from_its_time_on() {
        let t = |s| chrono::Utc.timestamp_opt(s, 0).single().expect("a time");
        let mut share = Share::default();
        assert_eq!(share.at(t(5)), 1.0);
        share.push(t(10), 0.0);
        share.push(t(20), 0.5);
        assert_eq!(share.at(t(9)), 1.0);
        assert_eq!(share.at(t(10)), 0.0);
        assert_eq!(share.at(t(25)), 0.5);
    }
}
