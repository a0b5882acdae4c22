//! A scriptable stand-in for the PRC API on 127.0.0.1, for the transport tests: it records
//! every request (with arrival time) and answers with whatever the test's responder returns.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use futures::FutureExt;
use futures::future::BoxFuture;

/// One request as the stub received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub index: usize,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub server_key: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Arrival time, Unix milliseconds.
    pub at_ms: i64,
}

/// What the stub answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn ok(body: impl Into<String>) -> Self {
        Self::new(200, body)
    }

    pub fn header(mut self, name: &str, value: impl ToString) -> Self {
        self.headers.push((name.to_owned(), value.to_string()));
        self
    }

    /// Add the four `X-RateLimit-*` headers.
    pub fn rate(self, bucket: &str, limit: u32, remaining: u32, reset_s: i64) -> Self {
        self.header("X-RateLimit-Bucket", bucket)
            .header("X-RateLimit-Limit", limit)
            .header("X-RateLimit-Remaining", remaining)
            .header("X-RateLimit-Reset", reset_s)
    }
}

type Responder = Arc<dyn Fn(Seen) -> BoxFuture<'static, Reply> + Send + Sync>;

pub struct Stub {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Stub {
    /// Start a stub whose answers may wait on something (an async responder).
    pub async fn start_async<F>(responder: F) -> Stub
    where
        F: Fn(Seen) -> BoxFuture<'static, Reply> + Send + Sync + 'static,
    {
        let responder: Responder = Arc::new(responder);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = seen.clone();
        let app = axum::Router::new().fallback(move |request: Request| {
            let responder = responder.clone();
            let recorded = recorded.clone();
            async move { handle(request, responder, recorded).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Stub {
            base_url: format!("http://{addr}"),
            seen,
            task,
        }
    }

    /// Start a stub that answers immediately.
    pub async fn start<F>(responder: F) -> Stub
    where
        F: Fn(&Seen) -> Reply + Send + Sync + 'static,
    {
        let responder = Arc::new(responder);
        Self::start_async(move |seen| {
            let reply = responder(&seen);
            async move { reply }.boxed()
        })
        .await
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn handle(
    request: Request,
    responder: Responder,
    recorded: Arc<Mutex<Vec<Seen>>>,
) -> Response {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let seen = {
        let mut all = recorded.lock().unwrap();
        let seen = Seen {
            index: all.len(),
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            server_key: header("server-key"),
            authorization: header("authorization"),
            content_type: header("content-type"),
            body,
            at_ms: now_ms(),
        };
        all.push(seen.clone());
        seen
    };
    let reply = responder(seen).await;
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in reply.headers {
        response.headers_mut().append(
            HeaderName::try_from(name).unwrap(),
            HeaderValue::try_from(value).unwrap(),
        );
    }
    response
}
