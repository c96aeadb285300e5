//! ripcord's Flagger actions against the real API server, on the shared Canary fixtures
//! with hand-written status (no Flagger controller runs on the testbed).
//!
//! The gate tests serve flagger's load tester gate endpoints from this process, behind a
//! Service, reached through the apiserver's service proxy. The apiserver refuses Endpoints on
//! 127.0.0.0/8, and its service proxy only dials an endpoint whose targetRef is a Pod with
//! that IP, so the server listens on the machine's own non-loopback address and a Pod that
//! no kubelet runs (its nodeName is no node) carries that address as its podIP.

mod common;
use common::cli::Cli;
use common::testbed::{self, testbed, Testbed};

use kube::api::{DynamicObject, Patch, PatchParams};
use kube::Api;
use ripcord::cluster::actions::{self, flagger};
use ripcord::journal::Journal;
use ripcord::model::ops::{ActionFailure, ActionRequest, Op};
use ripcord::model::{Kind, ReleaseKey};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

const FIXTURES: &str = "../shared/fixtures/flagger";

fn request(ns: &str, name: &str, op: Op) -> ActionRequest {
    ActionRequest {
        key: ReleaseKey {
            context: testbed::ADMIN.into(),
            namespace: ns.into(),
            kind: Kind::FlaggerCanary,
            name: name.into(),
        },
        op,
        reason: None,
        dry_run: false,
    }
}

/// A fixture Canary, moved into `ns`.
fn load_canary(tb: &Testbed, ns: &str, file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("namespace: test", &format!("namespace: {ns}"))
        .replace(".test/", &format!(".{ns}/"));
    tb.apply(ns, &text);
}

fn canaries(tb: &Testbed, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(tb.admin.clone(), ns, &flagger::canary_resource())
}

async fn get(tb: &Testbed, ns: &str, name: &str) -> Value {
    serde_json::to_value(canaries(tb, ns).get(name).await.expect("get the canary")).expect("json")
}

/// The status Flagger would write at `phase`.
fn status(phase: &str, weight: i64) -> Value {
    json!({
        "phase": phase, "canaryWeight": weight, "failedChecks": 0, "iterations": 0,
        "lastAppliedSpec": "5f8d9c", "lastTransitionTime": "2026-11-29T10:00:00Z",
        "conditions": [{ "type": "Promoted", "status": "Unknown", "reason": phase,
                         "message": "New revision detected", "lastUpdateTime": "2026-11-29T10:00:00Z",
                         "lastTransitionTime": "2026-11-29T10:00:00Z" }]
    })
}

fn failed(outcome: &Result<String, ActionFailure>) -> String {
    match outcome {
        Ok(text) => panic!("succeeded: {text}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_set_spec_suspend() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flg-suspend").await;
    load_canary(&tb, &ns.name, "linkerd-canary-steps.yaml");
    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("Progressing", 10) }),
    );
    let before = get(&tb, &ns.name, "podinfo").await;
    let paused = actions::execute(&tb.admin, &request(&ns.name, "podinfo", Op::Pause)).await;
    assert!(paused.result.is_ok(), "{:?}", paused.result);
    let after = get(&tb, &ns.name, "podinfo").await;
    assert_eq!(after["spec"]["suspend"], true);
    // Nothing else in the spec moved, and the status is Flagger's alone.
    let mut expected = before["spec"].clone();
    expected["suspend"] = json!(true);
    assert_eq!(after["spec"], expected);
    assert_eq!(after["status"], before["status"]);
    let again = actions::execute(&tb.admin, &request(&ns.name, "podinfo", Op::Pause)).await;
    assert!(failed(&again.result).contains("already suspended"));
    let resumed = actions::execute(&tb.admin, &request(&ns.name, "podinfo", Op::Resume)).await;
    assert!(resumed.result.is_ok(), "{:?}", resumed.result);
    assert_eq!(
        get(&tb, &ns.name, "podinfo").await["spec"]["suspend"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_full_skips_the_analysis_and_puts_it_back_once_promoted() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flg-skip").await;
    load_canary(&tb, &ns.name, "istio-canary.yaml");
    // Nothing to skip before an analysis runs.
    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("Succeeded", 0) }),
    );
    let idle = actions::execute(&tb.admin, &request(&ns.name, "podinfo", Op::PromoteFull)).await;
    assert!(failed(&idle.result).contains("no analysis to skip"));

    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("Progressing", 20) }),
    );
    let cli = Cli::new(&tb.kubeconfig);
    let target = "canary/podinfo";
    let out = cli.run(&["promote", "--full", target, "-n", &ns.name, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::cli::text(&out));
    assert_eq!(
        get(&tb, &ns.name, "podinfo").await["spec"]["skipAnalysis"],
        true
    );
    let journal = Journal::at(cli.dir().join("journal.jsonl"));
    let entries = journal.read().expect("the journal");
    let set = entries.last().expect("a line");
    assert!(set.ok && set.result.contains(flagger::SKIP_SET), "{set:?}");

    // A later ripcord (a new process) while Flagger still promotes: nothing is put back.
    let user = "e2e";
    let settled = flagger::settle(&tb.admin, testbed::ADMIN, &journal, user).await;
    assert!(settled.is_empty(), "{settled:?}");
    assert_eq!(
        get(&tb, &ns.name, "podinfo").await["spec"]["skipAnalysis"],
        true
    );

    // Promoted: the next ripcord command puts the field back first, and journals it.
    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("Succeeded", 0) }),
    );
    let out = cli.run(&["pause", target, "-n", &ns.name, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::cli::text(&out));
    let spec = get(&tb, &ns.name, "podinfo").await["spec"].clone();
    assert_eq!(spec["skipAnalysis"], false);
    assert_eq!(spec["suspend"], true);
    let entries = journal.read().expect("the journal");
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["promote-full", flagger::RESTORE_ACTION, "pause"]);
    // Put back once only.
    assert!(flagger::settle(&tb.admin, testbed::ADMIN, &journal, user)
        .await
        .is_empty());
    assert_eq!(journal.read().expect("the journal").len(), 3);
}

/// flagger's load tester gates, as `pkg/loadtester/server.go` serves them: open/close/check
/// for the confirm gate (key `name.namespace`) and the rollback gate (`rollback.` + key).
#[derive(Default)]
struct Gates {
    open: BTreeSet<String>,
    posts: Vec<(String, Value)>,
    /// Namespaces the load tester accepts (its -namespace-regexp); empty: all.
    allowed: Option<String>,
}

fn serve_gates(listener: TcpListener, gates: Arc<Mutex<Gates>>) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = header.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (code, text) = {
                let mut g = gates.lock().expect("lock");
                g.posts.push((path.clone(), payload.clone()));
                let (name, ns) = (
                    payload["name"].as_str().unwrap_or_default(),
                    payload["namespace"].as_str().unwrap_or_default(),
                );
                let key = format!("{name}.{ns}");
                if g.allowed.as_deref().is_some_and(|a| a != ns) {
                    (403, "Forbidden")
                } else {
                    match path.as_str() {
                        "/gate/open" => {
                            g.open.insert(key);
                            (202, "")
                        }
                        "/rollback/open" => {
                            g.open.insert(format!("rollback.{key}"));
                            (202, "")
                        }
                        "/gate/close" => {
                            g.open.remove(&key);
                            (202, "")
                        }
                        "/rollback/close" => {
                            g.open.remove(&format!("rollback.{key}"));
                            (202, "")
                        }
                        "/gate/check" if g.open.contains(&key) => (200, "Approved"),
                        "/rollback/check" if g.open.contains(&format!("rollback.{key}")) => {
                            (200, "Approved")
                        }
                        _ => (403, "Forbidden"),
                    }
                }
            };
            let reason = match code {
                200 => "OK",
                202 => "Accepted",
                _ => "Forbidden",
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
}

/// The machine's first non-loopback IPv4 address, where the apiserver can dial back.
fn host_ip() -> Option<String> {
    if let Ok(ip) = std::env::var("RIPCORD_TESTBED_HOST_IP") {
        return Some(ip);
    }
    let out = std::process::Command::new("hostname")
        .arg("-I")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|a| {
            a.parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| !ip.is_loopback())
        })
        .map(str::to_string)
}

/// Service `gate` port 80 in `ns`, through a Pod that carries `ip` to `ip:port`.
fn gate_service(tb: &Testbed, ns: &str, ip: &str, port: u16) {
    tb.apply(
        ns,
        &json!({
            "apiVersion": "v1", "kind": "List", "items": [
                { "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "gate" },
                  "spec": { "nodeName": "outside-the-testbed",
                            "containers": [{ "name": "gate", "image": "gate" }] } },
                { "apiVersion": "v1", "kind": "Service", "metadata": { "name": "gate" },
                  "spec": { "ports": [{ "port": 80, "targetPort": port }] } }
            ]
        })
        .to_string(),
    );
    tb.patch_status(
        ns,
        "pod",
        "gate",
        &json!({ "status": { "phase": "Running", "podIP": ip, "podIPs": [{ "ip": ip }] } }),
    );
    tb.apply(
        ns,
        &json!({
            "apiVersion": "v1", "kind": "Endpoints", "metadata": { "name": "gate" },
            "subsets": [{
                "addresses": [{ "ip": ip, "targetRef": { "kind": "Pod", "name": "gate", "namespace": ns } }],
                "ports": [{ "port": port }]
            }]
        })
        .to_string(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_and_roll_back_open_the_load_tester_gates_through_the_service_proxy() {
    let Some(tb) = testbed().await else { return };
    let Some(ip) = host_ip() else {
        eprintln!("no non-loopback address for the gate server: skipped");
        return;
    };
    let ns = tb.namespace("flg-gate").await;
    let listener = TcpListener::bind((ip.as_str(), 0)).expect("bind the gate server");
    let port = listener.local_addr().expect("addr").port();
    let gates = Arc::new(Mutex::new(Gates::default()));
    serve_gates(listener, gates.clone());
    gate_service(&tb, &ns.name, &ip, port);

    load_canary(&tb, &ns.name, "istio-canary.yaml");
    let mut hooks = get(&tb, &ns.name, "podinfo").await["spec"]["analysis"]["webhooks"].clone();
    let list = hooks.as_array_mut().expect("webhooks");
    list.push(json!({ "name": "ask", "type": "confirm-rollout", "url": format!("http://gate.{}/gate/check", ns.name) }));
    list.push(
        json!({ "name": "promo", "type": "confirm-promotion", "url": "http://gate:80/gate/check" }),
    );
    list.push(json!({ "name": "back", "type": "rollback", "url": "http://gate/rollback/check" }));
    canaries(&tb, &ns.name)
        .patch(
            "podinfo",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "analysis": { "webhooks": hooks } } })),
        )
        .await
        .expect("add the gate webhooks");
    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("Waiting", 0) }),
    );
    let spec_before = get(&tb, &ns.name, "podinfo").await["spec"].clone();

    let key = format!("podinfo.{}", ns.name);
    let approved = actions::execute(
        &tb.admin,
        &request(&ns.name, "podinfo", Op::Promote { step: None }),
    )
    .await;
    let said = approved.result.clone().unwrap_or_else(|e| panic!("{e}"));
    assert!(said.contains("confirm-rollout gate"), "{said}");
    {
        let g = gates.lock().expect("lock");
        assert!(g.open.contains(&key), "{:?}", g.open);
        assert_eq!(g.posts.last().map(|p| p.0.as_str()), Some("/gate/open"));
        assert_eq!(
            g.posts.last().map(|p| &p.1),
            Some(&json!({ "name": "podinfo", "namespace": ns.name }))
        );
        assert!(!g.open.contains(&format!("rollback.{key}")));
    }
    // What Flagger's check of that webhook would now get, through the same proxy.
    let check = format!(
        "/api/v1/namespaces/{}/services/gate:80/proxy/gate/check",
        ns.name
    );
    let body =
        serde_json::to_vec(&json!({ "name": "podinfo", "namespace": ns.name })).expect("body");
    let answer = tb
        .admin
        .request_text(http::Request::post(check).body(body).expect("request"))
        .await
        .expect("the gate approves");
    assert_eq!(answer, "Approved");

    let rolled = actions::execute(&tb.admin, &request(&ns.name, "podinfo", Op::Abort)).await;
    assert!(rolled.result.is_ok(), "{:?}", rolled.result);
    assert!(gates
        .lock()
        .expect("lock")
        .open
        .contains(&format!("rollback.{key}")));
    // The Canary itself is left alone.
    assert_eq!(get(&tb, &ns.name, "podinfo").await["spec"], spec_before);

    // The load tester's own refusal is said as such, not as a permission problem.
    gates.lock().expect("lock").allowed = Some("elsewhere".into());
    let refused = actions::execute(
        &tb.admin,
        &request(&ns.name, "podinfo", Op::Promote { step: None }),
    )
    .await;
    let why = failed(&refused.result);
    assert!(
        matches!(refused.result, Err(ActionFailure::Rejected(_))),
        "{why}"
    );
    assert!(
        why.contains("load tester refused") && why.contains("403"),
        "{why}"
    );
}

/// A gate stays open at the load tester until closed: ripcord closes the one it opened once
/// the analysis is over, journals it, and opens none on a Canary with no analysis running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_ripcord_opened_is_closed_once_the_analysis_is_over() {
    let Some(tb) = testbed().await else { return };
    let Some(ip) = host_ip() else {
        eprintln!("no non-loopback address for the gate server: skipped");
        return;
    };
    let ns = tb.namespace("flg-close").await;
    let listener = TcpListener::bind((ip.as_str(), 0)).expect("bind the gate server");
    let port = listener.local_addr().expect("addr").port();
    let gates = Arc::new(Mutex::new(Gates::default()));
    serve_gates(listener, gates.clone());
    gate_service(&tb, &ns.name, &ip, port);
    load_canary(&tb, &ns.name, "istio-canary.yaml");
    let mut hooks = get(&tb, &ns.name, "podinfo").await["spec"]["analysis"]["webhooks"].clone();
    let list = hooks.as_array_mut().expect("webhooks");
    list.push(
        json!({ "name": "promo", "type": "confirm-promotion", "url": "http://gate/gate/check" }),
    );
    list.push(json!({ "name": "back", "type": "rollback", "url": "http://gate/rollback/check" }));
    canaries(&tb, &ns.name)
        .patch(
            "podinfo",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "analysis": { "webhooks": hooks } } })),
        )
        .await
        .expect("add the gate webhooks");
    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("WaitingPromotion", 50) }),
    );
    let cli = Cli::new(&tb.kubeconfig);
    let target = "canary/podinfo";
    let out = cli.run(&["promote", target, "-n", &ns.name, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::cli::text(&out));
    let key = format!("podinfo.{}", ns.name);
    assert!(gates.lock().expect("lock").open.contains(&key));

    // Still promoting: the gate stays open.
    let journal = Journal::at(cli.dir().join("journal.jsonl"));
    let user = "e2e";
    let settled = flagger::settle(&tb.admin, testbed::ADMIN, &journal, user).await;
    assert!(settled.is_empty(), "{settled:?}");
    assert!(gates.lock().expect("lock").open.contains(&key));

    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("Succeeded", 0) }),
    );
    let settled = flagger::settle(&tb.admin, testbed::ADMIN, &journal, user).await;
    assert_eq!(settled.len(), 1, "{settled:?}");
    {
        let g = gates.lock().expect("lock");
        assert!(!g.open.contains(&key), "{:?}", g.open);
        assert_eq!(g.posts.last().map(|p| p.0.as_str()), Some("/gate/close"));
        assert_eq!(
            g.posts.last().map(|p| &p.1),
            Some(&json!({ "name": "podinfo", "namespace": ns.name }))
        );
    }
    let entries = journal.read().expect("the journal");
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["promote", flagger::CLOSE_ACTION]);
    assert!(entries[0]
        .result
        .contains("for the analysis of spec 5f8d9c"));
    // Closed once only.
    assert!(flagger::settle(&tb.admin, testbed::ADMIN, &journal, user)
        .await
        .is_empty());

    // A gate opened for one revision's analysis is closed when the next revision's
    // analysis has begun, also if nobody saw the first one end.
    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("Progressing", 10) }),
    );
    let out = cli.run(&["abort", target, "-n", &ns.name, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::cli::text(&out));
    let rollback = format!("rollback.{key}");
    assert!(gates.lock().expect("lock").open.contains(&rollback));
    let mut next = status("Progressing", 0);
    next["lastAppliedSpec"] = json!("77aa01");
    tb.patch_status(&ns.name, "canary", "podinfo", &json!({ "status": next }));
    let settled = flagger::settle(&tb.admin, testbed::ADMIN, &journal, user).await;
    assert_eq!(settled.len(), 1, "{settled:?}");
    assert!(!gates.lock().expect("lock").open.contains(&rollback));
    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("Succeeded", 0) }),
    );

    // No analysis runs: abort is refused before anything is sent to the load tester.
    let posts = gates.lock().expect("lock").posts.len();
    let out = cli.run(&["abort", target, "-n", &ns.name, "--yes"]);
    assert_ne!(out.status.code(), Some(0), "{}", common::cli::text(&out));
    assert!(
        common::cli::text(&out).contains("no analysis running"),
        "{}",
        common::cli::text(&out)
    );
    assert_eq!(gates.lock().expect("lock").posts.len(), posts);
    assert!(!gates
        .lock()
        .expect("lock")
        .open
        .contains(&format!("rollback.{key}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_without_gates_says_so() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flg-nogate").await;
    load_canary(&tb, &ns.name, "linkerd-canary-steps.yaml");
    tb.patch_status(
        &ns.name,
        "canary",
        "podinfo",
        &json!({ "status": status("WaitingPromotion", 50) }),
    );
    let promote = actions::execute(
        &tb.admin,
        &request(&ns.name, "podinfo", Op::Promote { step: None }),
    )
    .await;
    assert!(failed(&promote.result).contains("no confirm-rollout or confirm-promotion gate"));
    let abort = actions::execute(&tb.admin, &request(&ns.name, "podinfo", Op::Abort)).await;
    assert!(failed(&abort.result).contains("no rollback gate"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_endpoints_are_refused_by_the_apiserver() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flg-loop").await;
    let file = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(
        file.path(),
        json!({ "apiVersion": "v1", "kind": "Endpoints", "metadata": { "name": "gate" },
                "subsets": [{ "addresses": [{ "ip": "127.0.0.1" }], "ports": [{ "port": 8080 }] }] })
        .to_string(),
    )
    .expect("write");
    let (ok, said) = tb.kubectl_status(
        &ns.name,
        &["create", "-f", &file.path().display().to_string()],
    );
    assert!(!ok && said.contains("loopback"), "{said}");
}
