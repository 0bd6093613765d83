//! The AWS SDK's HTTP client: hyper 1 over rustls with the `ring` provider, trusting Mozilla's root
//! certificates compiled in as trust anchors, already parsed (build.rs, from webpki-root-certs).
//!
//! Why not aws-smithy-http-client's own builder: its trust store takes roots as PEM only, and it
//! decodes and parses all of them (118 certificates, about a third of a function's init CPU) each
//! time it builds a connector: once per SDK client at init and again at each client's first
//! request. Here the anchors are data in the binary, the rustls config is built once at init (no
//! certificate parsing, no file read) and shared by every client and connection.
//!
//! What the SDK's default client does is kept: TLS 1.2 and 1.3 with the cipher suites
//! smithy-rs restricts rustls to, ALPN h2 (with the feature `http2`, see Cargo.toml) then
//! http/1.1, TCP_NODELAY, the connect and read
//! timeouts of the SDK's settings, a connection pool per timeout setting, connection metadata for
//! the retry layer (which poisons a connection after a transient error), and its classification
//! of transport errors into timeout, I/O (retried), user and other errors.

use std::{
    borrow::Cow,
    collections::HashMap,
    error::Error,
    fmt, io,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        connection::{CaptureSmithyConnection, ConnectionMetadata},
        connector_metadata::ConnectorMetadata,
        http::{
            HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings,
            SharedHttpClient, SharedHttpConnector,
        },
        orchestrator::{HttpRequest, HttpResponse},
        result::ConnectorError,
        runtime_components::RuntimeComponents,
    },
};
use aws_smithy_types::{body::SdkBody, retry::ErrorKind};
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{
        self, Client,
        connect::{CaptureConnection, HttpConnector as TcpConnector, HttpInfo, capture_connection},
    },
    rt::{TokioExecutor, TokioTimer},
};
use rustls::{CipherSuite, ClientConfig, RootCertStore, crypto::CryptoProvider};

mod generated {
    use rustls::pki_types::{Der, TrustAnchor};

    include!(concat!(env!("OUT_DIR"), "/mozilla_roots.rs"));
}

/// Mozilla's root certificates as trust anchors: a copy of a static table, nothing parsed.
pub fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: generated::MOZILLA_ROOTS.to_vec(),
    }
}

/// The cipher suites smithy-rs allows (aws-smithy-http-client's `restrict_ciphers`), in its order.
const CIPHER_SUITES: [CipherSuite; 7] = [
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The rustls client config every connection shares: ring, TLS 1.2 and 1.3, Mozilla's roots.
pub fn tls_config() -> Result<ClientConfig, rustls::Error> {
    let ring = rustls::crypto::ring::default_provider();
    let cipher_suites = CIPHER_SUITES
        .iter()
        .filter_map(|wanted| {
            ring.cipher_suites
                .iter()
                .find(|suite| suite.suite() == *wanted)
                .copied()
        })
        .collect();
    let provider = CryptoProvider {
        cipher_suites,
        ..ring
    };
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(mozilla_roots())
        .with_no_client_auth();
    config.alpn_protocols = alpn_protocols();
    Ok(config)
}

/// What the client offers in ALPN, in order of preference.
fn alpn_protocols() -> Vec<Vec<u8>> {
    let mut protocols = Vec::new();
    if cfg!(feature = "http2") {
        protocols.push(b"h2".to_vec());
    }
    protocols.push(b"http/1.1".to_vec());
    protocols
}

/// The HTTP client to hand to the SDK (`SdkConfig`'s, see [`crate::aws`]).
pub fn client() -> Result<SharedHttpClient, rustls::Error> {
    Ok(SharedHttpClient::new(HttpsClient {
        tls: Arc::new(tls_config()?),
        connectors: Mutex::default(),
    }))
}

type TimeoutKey = (Option<Duration>, Option<Duration>);

/// One connector (and so one connection pool) per pair of connect and read timeouts, as
/// aws-smithy-http-client keeps; clients built from one SDK config share them.
#[derive(Debug)]
struct HttpsClient {
    tls: Arc<ClientConfig>,
    connectors: Mutex<HashMap<TimeoutKey, SharedHttpConnector>>,
}

impl HttpClient for HttpsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self
            .connectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        connectors
            .entry(key)
            .or_insert_with(|| SharedHttpConnector::new(Connector::new(&self.tls, key)))
            .clone()
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
    }
}

struct Connector {
    client: Client<HttpsConnector<TcpConnector>, SdkBody>,
    read_timeout: Option<Duration>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("read_timeout", &self.read_timeout)
            .finish_non_exhaustive()
    }
}

impl Connector {
    fn new(tls: &Arc<ClientConfig>, (connect_timeout, read_timeout): TimeoutKey) -> Self {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(connect_timeout);
        let https = HttpsConnector::from((tcp, Arc::clone(tls)));
        let client = Client::builder(TokioExecutor::new())
            // Without a timer hyper's pool never expires idle connections.
            .pool_timer(TokioTimer::new())
            .build(https);
        Self {
            client,
            read_timeout,
        }
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::user(err.into()))),
        };
        let captured = capture_connection(&mut request);
        if let Some(smithy) = request.extensions().get::<CaptureSmithyConnection>() {
            smithy.set_connection_retriever(move || connection_metadata(&captured));
        }
        let response = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, response)
                    .await
                    .map_err(|_| ConnectorError::timeout(Box::new(ReadTimeout(limit))))?,
                None => response.await,
            };
            match response {
                Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|err| ConnectorError::other(err.into(), None)),
                Err(err) => Err(classify(err)),
            }
        })
    }
}

/// No response headers within the read timeout.
#[derive(Debug, thiserror::Error)]
#[error("no HTTP response within the read timeout ({0:?})")]
struct ReadTimeout(Duration);

/// What the retry layer needs of the connection a request went out on: its addresses and a way
/// to poison it (so that it is not reused after a transient error).
fn connection_metadata(captured: &CaptureConnection) -> Option<ConnectionMetadata> {
    let connected = captured.connection_metadata();
    let connected = connected.as_ref()?;
    let mut extras = http::Extensions::new();
    connected.get_extras(&mut extras);
    let info = extras.get::<HttpInfo>();
    let to_poison = captured.clone();
    let mut metadata = ConnectionMetadata::builder()
        .proxied(false)
        .poison_fn(move || {
            if let Some(connection) = to_poison.connection_metadata().as_ref() {
                connection.poison();
            }
        });
    metadata
        .set_local_addr(info.map(HttpInfo::local_addr))
        .set_remote_addr(info.map(HttpInfo::remote_addr));
    Some(metadata.build())
}

/// aws-smithy-http-client's classification of hyper's errors: timeouts and I/O errors (closed or
/// refused connections, resets, DNS) are retried by the SDK, a truncated response too.
fn classify(error: legacy::Error) -> ConnectorError {
    let kind = error_kind(&error);
    kind(Box::new(error))
}

fn error_kind(error: &legacy::Error) -> fn(BoxError) -> ConnectorError {
    let chain = || error_chain(error);
    if chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
    }) {
        return ConnectorError::timeout;
    }
    if let Some(hyper_error) = chain().find_map(|e| e.downcast_ref::<hyper::Error>()) {
        if hyper_error.is_timeout() {
            return ConnectorError::timeout;
        }
        if hyper_error.is_user() {
            return ConnectorError::user;
        }
        if hyper_error.is_closed() || hyper_error.is_canceled() || chain().any(is_io) {
            return ConnectorError::io;
        }
        if hyper_error.is_incomplete_message() {
            return |err| ConnectorError::other(err, Some(ErrorKind::TransientError));
        }
        #[cfg(feature = "http2")]
        if chain()
            .filter_map(|e| e.downcast_ref::<h2::Error>())
            .any(|h2| {
                h2.is_go_away()
                    || (h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM))
            })
        {
            return ConnectorError::io;
        }
        return |err| ConnectorError::other(err, None);
    }
    if error.is_connect() || chain().any(is_io) {
        return ConnectorError::io;
    }
    |err| ConnectorError::other(err, None)
}

fn is_io(error: &(dyn Error + 'static)) -> bool {
    error.is::<io::Error>()
}

/// `error`, then its sources; after an `io::Error`, its payload (`source()` would skip it).
fn error_chain<'a>(
    error: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&error| {
        match error.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn Error + 'static)),
            None => error.source(),
        }
    })
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::TcpListener,
    };

    use super::*;

    #[test]
    fn the_trust_store_holds_every_root_mozilla_trusts() {
        let store = mozilla_roots();
        assert!(store.len() > 100, "Mozilla's store has well over 100 roots");
        // Mozilla's certificates (webpki-root-certs), each parsed into its trust anchor at test
        // time, as rustls did at every cold start before: the same anchors, in the same order.
        let parsed: Vec<_> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|cert| webpki::anchor_from_trusted_cert(cert).unwrap())
            .collect();
        assert_eq!(store.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert_eq!(store.roots, parsed);
    }

    #[test]
    fn tls_is_ring_with_smithys_cipher_suites_and_offers_http1_or_h2_first_with_the_feature() {
        let config = tls_config().unwrap();
        let suites: Vec<_> = config
            .crypto_provider()
            .cipher_suites
            .iter()
            .map(|suite| suite.suite())
            .collect();
        assert_eq!(suites, CIPHER_SUITES);
        let expected: &[&[u8]] = if cfg!(feature = "http2") {
            &[b"h2", b"http/1.1"]
        } else {
            &[b"http/1.1"]
        };
        assert_eq!(config.alpn_protocols, expected);
    }

    fn connector(read_timeout: Duration) -> Connector {
        let tls = Arc::new(tls_config().unwrap());
        Connector::new(&tls, (Some(Duration::from_secs(1)), Some(read_timeout)))
    }

    fn get(url: String) -> HttpRequest {
        HttpRequest::try_from(http::Request::get(url).body(SdkBody::empty()).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn a_request_goes_out_and_its_response_comes_back() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = vec![0; 4096];
            let read = socket.read(&mut head).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await
                .unwrap();
            String::from_utf8_lossy(&head[..read]).into_owned()
        });
        let response = connector(Duration::from_secs(5))
            .call(get(format!("http://{addr}/ping")))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"ok");
        assert!(server.await.unwrap().starts_with("GET /ping HTTP/1.1\r\n"));
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_a_read_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
            drop(socket);
        });
        let error = connector(Duration::from_millis(50))
            .call(get(format!("http://{addr}/")))
            .await
            .unwrap_err();
        assert!(error.is_timeout(), "{error:?}");
        server.abort();
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_io_error_which_the_sdk_retries() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let error = connector(Duration::from_secs(1))
            .call(get(format!("http://{addr}/")))
            .await
            .unwrap_err();
        assert!(error.is_io(), "{error:?}");
    }
}
