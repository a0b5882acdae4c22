//! One HTTP attempt through the breaker and the rate limiter, and the retry loop for reads.
//! Every attempt updates the limiter, the breaker, the counters, the request log and tracing —
//! always with fingerprints, never keys.

use std::error::Error as _;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

use super::breaker::CallOutcome;
use super::client::{Inner, RawResponse, sensitive_header};
use super::error::ErlcError;
use super::key::ServerKey;
use super::ratelimit::{Answer, RateHeaders};
use super::response::{ResponseContext, error_from_response};
use super::route::{HttpMethod, Redactor, Route};
use super::stats::{Counters, RequestRecord};

/// Back-off after a 429 that said nothing about how long to wait.
const UNSPECIFIED_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Everything needed to send one request.
pub(crate) struct Request<'a> {
    pub server: &'a ServerKey,
    pub route: Route,
    pub query: &'a [(String, String)],
    /// JSON body for POST.
    pub body: Option<Vec<u8>>,
}

impl Inner {
    /// Reads: send, and on a retryable failure wait (backoff, at least PRC's `retry_after`)
    /// and send again, up to the policy's limit.
    pub(crate) async fn read_with_retries(
        &self,
        request: &Request<'_>,
    ) -> Result<RawResponse, ErlcError> {
        let mut attempt = 0;
        loop {
            match self.send_once(request).await {
                Err(err) if self.retry.should_retry(attempt, &err) => {
                    let delay = self.retry.delay_for(attempt, &err, &mut rand::thread_rng());
                    Counters::bump(&self.counters.retries);
                    tracing::debug!(
                        endpoint = %request.route.endpoint(),
                        key = %request.route.key_fp,
                        attempt = attempt + 1,
                        delay_ms = delay.as_millis() as u64,
                        error = %err,
                        "retrying PRC read"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Name of the breaker guarding `route`: one for the reads and one for the commands of
    /// each server. Per server even though PRC's GET bucket is shared, so one broken game
    /// server (1001) does not pause reads of every other server; and fixed rather than taken
    /// from the bucket PRC names, so failures before and after a bucket is learned count
    /// towards the same breaker.
    fn breaker_name(route: &Route) -> String {
        let calls = if route.is_command() {
            "commands".to_owned()
        } else if route.method == HttpMethod::Get {
            "reads".to_owned()
        } else {
            route.endpoint()
        };
        format!("{calls} for {}", route.key_fp)
    }

    fn build(&self, request: &Request<'_>) -> Result<reqwest::Request, ErlcError> {
        let fp = &request.route.key_fp;
        let mut url = reqwest::Url::parse(&format!("{}{}", self.base_url, request.route.path))
            .map_err(|e| {
                ErlcError::Config(format!(
                    "the path {:?} does not form a valid URL: {e}",
                    request.route.path
                ))
            })?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(request.query);
        }
        let server_key = sensitive_header(request.server.expose()).ok_or_else(|| {
            ErlcError::Config(format!(
                "the server key {fp} contains characters that cannot be sent; copy it again from \
                 in-game (Private Server Settings → ER:LC API)"
            ))
        })?;
        let method = match request.route.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut builder = self
            .http
            .request(method, url)
            .header("Server-Key", server_key);
        if let Some(global) = &self.global_header {
            builder = builder.header(AUTHORIZATION, global.clone());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        builder
            .build()
            .map_err(|e| ErlcError::Config(format!("could not build the request: {e}")))
    }

    /// Send one request: breaker, then rate limiter, then HTTP. Never retries.
    pub(crate) async fn send_once(&self, request: &Request<'_>) -> Result<RawResponse, ErlcError> {
        let route = &request.route;
        let endpoint = route.endpoint();
        let redactor = Redactor::new(request.server, self.global_key.as_ref());
        let http_request = self.build(request)?;
        let breaker_name = Self::breaker_name(route);
        let ticket =
            self.breakers
                .admit(&breaker_name)
                .map_err(|retry_in| ErlcError::CircuitOpen {
                    bucket: breaker_name.clone(),
                    retry_in,
                })?;
        let (permit, waited) = self.limiter.acquire(route).await;
        if waited {
            Counters::bump(&self.counters.rate_limit_waits);
        }
        Counters::bump(&self.counters.requests_sent);
        let sent_at_ms = self.clock.now_ms();
        let started = Instant::now();
        let (status, bucket, result) = match self.http.execute(http_request).await {
            Err(err) => {
                permit.complete(Answer::Nothing);
                Counters::bump(&self.counters.network_errors);
                let detail = network_detail(err, &redactor);
                (None, None, Err(ErlcError::Network { endpoint, detail }))
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let rate = RateHeaders::parse(&headers, &|s| redactor.redact(s));
                let result = match response.bytes().await {
                    Err(err) => Err(ErlcError::Network {
                        endpoint: endpoint.clone(),
                        detail: network_detail(err, &redactor),
                    }),
                    Ok(body) if (200..300).contains(&status) => Ok(RawResponse {
                        status,
                        body,
                        from_cache: false,
                    }),
                    Ok(body) => {
                        let redact = |s: &str| redactor.redact(s);
                        let ctx = ResponseContext {
                            endpoint: &endpoint,
                            is_command: route.is_command(),
                            now_ms: self.clock.now_ms(),
                            redact: &redact,
                        };
                        Err(error_from_response(&ctx, status, &headers, &body))
                    }
                };
                let throttled_for = match &result {
                    Err(ErlcError::RateLimited { retry_after, .. }) => {
                        Counters::bump(&self.counters.rate_limited);
                        Some(retry_after.unwrap_or(UNSPECIFIED_RETRY_AFTER))
                    }
                    _ => None,
                };
                let bucket = permit.complete(Answer::Http {
                    headers: rate.as_ref(),
                    throttled_for,
                });
                (Some(status), bucket, result)
            }
        };
        let latency = started.elapsed();
        if ticket.record(CallOutcome::of(result.as_ref().map(|_| ()))) {
            Counters::bump(&self.counters.breaker_opens);
            tracing::warn!(
                breaker = %breaker_name,
                "PRC calls paused after repeated failures"
            );
        }
        tracing::debug!(
            method = %route.method,
            path = %route.path,
            status = status.unwrap_or(0),
            bucket = bucket.as_deref().unwrap_or("-"),
            key = %route.key_fp,
            latency_ms = latency.as_millis() as u64,
            error = result.as_ref().err().map(|e| e.to_string()).unwrap_or_default(),
            "PRC request"
        );
        self.log.push(RequestRecord {
            at_ms: sent_at_ms,
            method: route.method,
            path: route.path.clone(),
            status,
            latency,
            bucket,
            key_fingerprint: route.key_fp.clone(),
            error: result.as_ref().err().map(ToString::to_string),
        });
        result
    }
}

/// Describe a transport failure with its causes, without the URL and without any secret.
fn network_detail(err: reqwest::Error, redactor: &Redactor<'_>) -> String {
    let timed_out = err.is_timeout();
    let err = err.without_url();
    let mut detail = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    if timed_out {
        detail = format!("timed out ({detail})");
    }
    redactor.redact(&detail)
}
