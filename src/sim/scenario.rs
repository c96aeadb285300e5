//! The demo world: two clusters, four namespaces, and one release of every kind.

use super::argo::{ArgoStep, ArgoStrategy, SimArgoRollout};
use super::deployment::SimDeployment;
use super::flagger::SimFlaggerCanary;
use super::{ErrorProfile, Security, SimEntry, SimRelease, Time, World};
use crate::flags::{Flag, FlagSet};
use crate::model::Flags;
use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

pub const PROD: &str = "prod-eu";
pub const STAGING: &str = "staging-us";

/// The virtual time the demo opens at.
pub fn demo_epoch() -> Time {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The demo's flags, as flagd definitions a flag source would serve.
const DEMO_FLAGS: &str = r#"{
  "flags": {
    "payments.3ds-v2": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off",
      "targeting": {"if": [{"in": [{"var": "country"}, ["de", "fr", "nl"]]}, "on",
                           {"fractional": [["on", 80], ["off", 20]]}]}
    },
    "checkout.one-click": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "on",
      "targeting": {"if": [{"sem_ver": [{"var": "app_version"}, "<", "1.9.0"]}, "off"]}
    },
    "checkout.new-tax-engine": {
      "state": "DISABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off",
      "targeting": {"if": [{"ends_with": [{"var": "email"}, "@shop.example"]}, "on",
                           {"fractional": [["on", 10], ["off", 90]]}]}
    },
    "cart.saved-for-later": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "on"
    }
  }
}"#;

/// The demo's flags under `keys`, parsed by the same code as any flag source's.
fn flags(keys: &[&str]) -> Vec<Flag> {
    let set =
        FlagSet::parse(super::flags::DEMO_SOURCE, DEMO_FLAGS).expect("the demo's flags are valid");
    keys.iter()
        .filter_map(|k| set.flags.get(*k).cloned())
        .collect()
}

/// Pods as a careful team sets them up: their own ServiceAccount without a mounted token,
/// not root, no privilege escalation.
fn hardened(service_account: &str) -> Security {
    let mut s = Security::default();
    s.pod
        .insert("serviceAccountName".into(), json!(service_account));
    s.pod
        .insert("automountServiceAccountToken".into(), json!(false));
    s.pod
        .insert("securityContext".into(), json!({ "runAsNonRoot": true }));
    s.container.insert(
        "securityContext".into(),
        json!({ "allowPrivilegeEscalation": false }),
    );
    s
}

impl Security {
    fn pod(mut self, field: &str, value: serde_json::Value) -> Security {
        self.pod.insert(field.into(), value);
        self
    }

    /// A literal env var in every container.
    fn env(mut self, name: &str, value: &str) -> Security {
        let env = self.container.entry("env").or_insert_with(|| json!([]));
        if let Some(list) = env.as_array_mut() {
            list.push(json!({ "name": name, "value": value }));
        }
        self
    }

    fn beside(mut self, objects: Vec<serde_json::Value>) -> Security {
        self.objects.extend(objects);
        self
    }
}

/// A Role that reads every Secret, bound to a ServiceAccount.
fn secret_reader(namespace: &str, service_account: &str) -> Vec<serde_json::Value> {
    vec![
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": { "name": "secret-reader", "namespace": namespace },
                "rules": [{ "apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"] }] }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": { "name": format!("{service_account}-reads-secrets"), "namespace": namespace },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "secret-reader" },
                "subjects": [{ "kind": "ServiceAccount", "name": service_account, "namespace": namespace }] }),
    ]
}

/// cluster-admin, as the apiserver creates it, bound to a ServiceAccount.
fn cluster_admin(namespace: &str, service_account: &str) -> Vec<serde_json::Value> {
    vec![
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": { "name": "cluster-admin",
                              "labels": { "kubernetes.io/bootstrapping": "rbac-defaults" } },
                "rules": [{ "apiGroups": ["*"], "resources": ["*"], "verbs": ["*"] }] }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": { "name": format!("{service_account}-admin") },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin" },
                "subjects": [{ "kind": "ServiceAccount", "name": service_account, "namespace": namespace }] }),
    ]
}

/// A scripted step in the world's history: at `at`, do something to entry `index`.
type Script = (i64, usize, fn(&mut SimRelease, Time));

impl World {
    /// The deterministic demo world, at [`demo_epoch`].
    pub fn demo(seed: u64) -> World {
        let epoch = demo_epoch();
        // History starts two minutes before the epoch so releases are mid-flight.
        let start = epoch - Duration::seconds(120);
        let long_ago = epoch - Duration::days(9);
        let mut w = World::empty(seed, start, &[PROD, STAGING]);
        w.flag_doc = serde_json::from_str(DEMO_FLAGS).expect("the demo's flags are JSON");
        let rng = &mut w.rng;
        let steady = ErrorProfile::Steady(0.4);
        let mut add = |context: &str,
                       release: SimRelease,
                       errors: ErrorProfile,
                       flags: Vec<Flag>,
                       security: Security| {
            w.entries.push(SimEntry {
                context: context.into(),
                release,
                errors,
                flags: Flags {
                    flags,
                    warnings: Vec::new(),
                },
                kill_switch: None,
                security,
            });
        };

        // 0: a plain rolling update.
        add(
            PROD,
            SimRelease::Deployment(SimDeployment::new(
                "shop",
                "frontend",
                "nginx:1.25.3",
                10,
                long_ago,
                rng,
            )),
            steady,
            vec![],
            hardened("frontend"),
        );
        // 1: a canary pair, canary up and waiting for a human.
        let stable = SimDeployment::new(
            "payments",
            "payments-api",
            "payments-api:2.3.0",
            4,
            long_ago,
            rng,
        );
        let mut canary = SimDeployment::new(
            "payments",
            "payments-api-canary",
            "payments-api:2.4.0",
            1,
            start,
            rng,
        );
        canary.canary_of = Some("payments-api".into());
        add(
            PROD,
            SimRelease::Pair { stable, canary },
            ErrorProfile::Steady(0.5),
            flags(&["payments.3ds-v2"]),
            hardened("payments-api")
                .env("AWS_ACCESS_KEY_ID", "AKIADEMO7EXAMPLE0001")
                .env("STRIPE_KEY", "sk_live_DEMOq8Zr2pW9xL4vKhQ8s"),
        );
        // 2: an Argo canary whose error rate climbs until analysis fails.
        let steps = vec![
            ArgoStep::SetWeight(20),
            ArgoStep::Pause(Some(30)),
            ArgoStep::SetWeight(40),
            ArgoStep::Analysis,
            ArgoStep::SetWeight(60),
            // A person promotes the last step, on ripcord's verdict.
            ArgoStep::Pause(None),
        ];
        add(
            PROD,
            SimRelease::Argo(SimArgoRollout::new(
                "shop",
                "checkout",
                "shop/checkout:1.8.2",
                5,
                ArgoStrategy::Canary(steps),
                long_ago,
                rng,
            )),
            ErrorProfile::Climbing {
                base: 0.4,
                per_sec: 0.1,
                since: epoch - Duration::seconds(60),
            },
            flags(&["checkout.one-click", "checkout.new-tax-engine"]),
            hardened("checkout")
                .pod("securityContext", json!({ "runAsUser": 0 }))
                .beside(secret_reader("shop", "checkout")),
        );
        // 3: a Flagger canary progressing.
        add(
            PROD,
            SimRelease::Flagger(SimFlaggerCanary::new(
                "platform",
                "podinfo",
                "podinfo:6.5.0",
                "podinfo:6.5.1",
                2,
                epoch - Duration::seconds(70),
                rng,
            )),
            ErrorProfile::Steady(0.3),
            vec![],
            hardened("podinfo"),
        );
        // 4: a rolling update paused half way.
        add(
            PROD,
            SimRelease::Deployment(SimDeployment::new(
                "search",
                "indexer",
                "search/indexer:4.1.0",
                4,
                long_ago,
                rng,
            )),
            steady,
            vec![],
            hardened("indexer"),
        );
        // 5: a rollout stuck on a crash-looping image.
        let mut recommender = SimDeployment::new(
            "shop",
            "recommender",
            "shop/recommender:3.0.1",
            3,
            long_ago,
            rng,
        );
        recommender.progress_deadline_secs = 60;
        add(
            STAGING,
            SimRelease::Deployment(recommender),
            steady,
            vec![],
            hardened("recommender"),
        );
        // 6: an Argo canary paused until promoted.
        let steps = vec![
            ArgoStep::SetWeight(25),
            ArgoStep::Pause(None),
            ArgoStep::SetWeight(50),
            ArgoStep::Pause(Some(30)),
            ArgoStep::SetWeight(75),
            ArgoStep::Pause(Some(30)),
        ];
        add(
            STAGING,
            SimRelease::Argo(SimArgoRollout::new(
                "shop",
                "cart",
                "shop/cart:5.2.0",
                4,
                ArgoStrategy::Canary(steps),
                long_ago,
                rng,
            )),
            ErrorProfile::Steady(0.35),
            flags(&["cart.saved-for-later"]),
            hardened("cart"),
        );
        // 7: an Argo blue-green waiting for promotion.
        add(
            STAGING,
            SimRelease::Argo(SimArgoRollout::new(
                "search",
                "search-api",
                "search/api:7.0.0",
                3,
                ArgoStrategy::BlueGreen,
                long_ago,
                rng,
            )),
            steady,
            vec![],
            hardened("search-api"),
        );
        // 8: a healthy Deployment.
        add(
            STAGING,
            SimRelease::Deployment(SimDeployment::new(
                "payments",
                "ledger",
                "payments/ledger:1.12.4",
                3,
                long_ago,
                rng,
            )),
            steady,
            vec![],
            hardened("ledger"),
        );
        // 9: a canary pair with no canary running.
        let stable = SimDeployment::new(
            "platform",
            "gateway",
            "platform/gateway:0.9.3",
            3,
            long_ago,
            rng,
        );
        let mut canary = SimDeployment::new(
            "platform",
            "gateway-canary",
            "platform/gateway:0.9.3",
            0,
            long_ago,
            rng,
        );
        canary.canary_of = Some("gateway".into());
        add(
            STAGING,
            SimRelease::Pair { stable, canary },
            steady,
            vec![],
            hardened("gateway").beside(cluster_admin("platform", "gateway")),
        );

        // checkout 1.9.0 serves one-click checkout, and that is what fails: the flag is its
        // kill switch.
        w.entries[2].kill_switch = Some(super::flags::KillSwitch {
            flag: "checkout.one-click".into(),
            context: json!({ "app_version": "1.9.0" }),
            share: Default::default(),
        });
        let script: [Script; 7] = [
            (0, 5, |r, t| {
                if let SimRelease::Deployment(d) = r {
                    d.set_image("shop/recommender:3.1.0-crash", t)
                }
            }),
            (50, 2, |r, t| {
                if let SimRelease::Argo(a) = r {
                    a.set_image("shop/checkout:1.9.0", t)
                }
            }),
            (60, 6, |r, t| {
                if let SimRelease::Argo(a) = r {
                    a.set_image("shop/cart:5.3.0", t)
                }
            }),
            (70, 7, |r, t| {
                if let SimRelease::Argo(a) = r {
                    a.set_image("search/api:7.1.0", t)
                }
            }),
            (90, 4, |r, t| {
                if let SimRelease::Deployment(d) = r {
                    d.set_image("search/indexer:4.2.0", t)
                }
            }),
            (96, 4, |r, _| {
                if let SimRelease::Deployment(d) = r {
                    d.paused = true
                }
            }),
            (105, 0, |r, t| {
                if let SimRelease::Deployment(d) = r {
                    d.set_image("nginx:1.26.0", t)
                }
            }),
        ];
        let mut elapsed = 0;
        for (at, index, apply) in script {
            w.advance((at - elapsed) as f64);
            elapsed = at;
            apply(&mut w.entries[index].release, w.now);
        }
        w.advance((120 - elapsed) as f64);
        w
    }
}
