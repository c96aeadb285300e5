//! How ripcord reaches Prometheus: a URL with a token, headers and TLS settings, or an
//! in-cluster Service through the apiserver's service proxy with the kubeconfig's
//! credentials.
//!
//! The testbed's Prometheus listens on 127.0.0.1, which no Service can front on this
//! apiserver: Endpoints in 127.0.0.0/8 are rejected by validation, and the proxy refuses
//! loopback pod IPs ("address not allowed"). So the service-proxy tests drive every request
//! through the real apiserver and check its answers (no endpoints, missing, forbidden),
//! and the proxy's reading of a Prometheus answer is checked on the real Prometheus's body.

mod common;
use common::testbed::{prometheus_url, state_dir, testbed, ADMIN, VIEWER};

use chrono::Utc;
use ripcord::config::settings::{PrometheusSettings, PrometheusTarget};
use ripcord::metrics::{proxy_answer, MetricsError, Prometheus};
use std::io::{Read, Write};
use std::time::Duration;

fn service(namespace: &str, name: &str) -> PrometheusSettings {
    PrometheusSettings {
        target: PrometheusTarget::Service {
            namespace: namespace.into(),
            name: name.into(),
            port: "9090".into(),
        },
        ..PrometheusSettings::url("")
    }
}

async fn query(p: &Prometheus) -> Result<Vec<f64>, MetricsError> {
    let end = Utc::now();
    p.samples(
        "up",
        "up",
        end - chrono::Duration::seconds(30),
        end,
        Duration::from_secs(5),
    )
    .await
}

fn unreachable_why(result: Result<Vec<f64>, MetricsError>) -> (String, String) {
    match result {
        Err(MetricsError::Unreachable { url, why, .. }) => (url, why),
        other => panic!("expected unreachable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_is_queried_through_the_apiservers_proxy_with_the_contexts_credentials() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("promproxy").await;
    tb.apply(
        &ns.name,
        r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"prom"},
            "spec":{"ports":[{"name":"web","port":9090}]}}"#,
    );
    tb.apply(
        &ns.name,
        r#"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"prom"},"subsets":[]}"#,
    );
    let admin = config(ADMIN).await;

    // The apiserver finds the Service and says it has nothing behind it.
    let p = Prometheus::connect(&service(&ns.name, "prom"), Some(&admin)).expect("connect");
    let (url, why) = unreachable_why(query(&p).await);
    assert_eq!(url, format!("service {}/prom:9090", ns.name));
    assert!(
        why.contains("503") && why.contains("no endpoints available for service"),
        "{why}"
    );

    // A missing Service is named as the apiserver names it.
    let p = Prometheus::connect(&service(&ns.name, "nosuch"), Some(&admin)).expect("connect");
    let (_, why) = unreachable_why(query(&p).await);
    assert!(
        why.contains("404") && why.contains("\"nosuch\" not found"),
        "{why}"
    );

    // The viewer's token goes to the apiserver, which refuses it the proxy.
    let viewer = config(VIEWER).await;
    let p = Prometheus::connect(&service(&ns.name, "prom"), Some(&viewer)).expect("connect");
    let (_, why) = unreachable_why(query(&p).await);
    assert!(
        why.contains("403") && why.contains("services/proxy"),
        "{why}"
    );

    // A service needs the context's connection.
    assert!(matches!(
        Prometheus::connect(&service(&ns.name, "prom"), None),
        Err(MetricsError::BadUrl { .. })
    ));

    // What the proxy passes through is Prometheus's own answer: read the real one.
    let end = Utc::now().timestamp();
    let body = http_get(&format!(
        "{}/api/v1/query_range?query=up&start={}&end={end}&step=5",
        prometheus_url(),
        end - 60
    ));
    let data = proxy_answer(200, body.as_bytes()).expect("the real answer reads");
    assert!(
        !data.data().is_empty(),
        "the testbed's Prometheus scrapes something"
    );
}

async fn config(context: &str) -> kube::Config {
    let options = ripcord::cluster::connect::ConnectOptions {
        kubeconfig: Some(common::testbed::kubeconfig_path()),
        contexts: vec![context.to_owned()],
    };
    ripcord::cluster::connect::context_config(&options, context)
        .await
        .expect("the context's config")
}

/// A GET to the loopback Prometheus, without a client library.
fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = std::net::TcpStream::connect(host).expect("connect to Prometheus");
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (_, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    body.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_gets_the_bearer_token_and_the_extra_headers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "the request ended early");
            request.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"0.25"]]}]}}"#;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        String::from_utf8(request).unwrap().to_lowercase()
    });
    let token = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token.path(), "s3cret\n").unwrap();
    let settings = PrometheusSettings {
        bearer_token_file: Some(token.path().to_owned()),
        headers: vec![("X-Scope-OrgID".into(), "team-a".into())],
        ..PrometheusSettings::url(&format!("http://127.0.0.1:{port}"))
    };
    let p = Prometheus::connect(&settings, None).expect("connect");
    assert_eq!(query(&p).await.expect("samples"), vec![0.25]);
    let request = server.join().unwrap();
    assert!(request.starts_with("get /api/v1/query_range?"), "{request}");
    assert!(
        request.contains("\r\nauthorization: bearer s3cret\r\n"),
        "{request}"
    );
    assert!(
        request.contains("\r\nx-scope-orgid: team-a\r\n"),
        "{request}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_against_the_configured_ca_or_skipped_when_asked() {
    let Some(_tb) = testbed().await else { return };
    // The apiserver is an HTTPS server with a certificate of its own CA: not Prometheus,
    // but enough to see whether TLS got through.
    let kubeconfig = std::fs::read_to_string(common::testbed::kubeconfig_path()).unwrap();
    let server = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .expect("a server in the kubeconfig")
        .to_owned();
    let https = |f: &dyn Fn(&mut PrometheusSettings)| {
        let mut s = PrometheusSettings::url(&server);
        f(&mut s);
        Prometheus::connect(&s, None).expect("connect")
    };
    let (_, why) = unreachable_why(query(&https(&|_| {})).await);
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    let ca = state_dir().join("certs/apiserver.crt");
    for p in [
        https(&|s| s.ca_file = Some(ca.clone())),
        https(&|s| s.insecure_skip_tls_verify = true),
    ] {
        // TLS passes; the apiserver then refuses an anonymous query_range.
        let text = match query(&p).await {
            Err(e) => e.to_string(),
            Ok(v) => panic!("the apiserver is no Prometheus: {v:?}"),
        };
        assert!(!text.to_lowercase().contains("certificate"), "{text}");
    }
    // A CA file that holds no certificate is refused when connecting.
    let empty = tempfile::NamedTempFile::new().unwrap();
    let mut s = PrometheusSettings::url(&server);
    s.ca_file = Some(empty.path().to_owned());
    assert!(matches!(
        Prometheus::connect(&s, None),
        Err(MetricsError::BadUrl { .. })
    ));
}
