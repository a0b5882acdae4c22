//! Shared helpers for the simulator's integration tests: start a simulator on 127.0.0.1 with
//! a manual clock and talk to it with plain reqwest.

use std::sync::Arc;

use erlc_bot::clock::ManualClock;
use erlc_bot::sim::{BucketLimit, SimConfig, SimHandle, Simulator};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;

use super::START_MS;

pub struct Sim {
    pub handle: SimHandle,
    pub clock: Arc<ManualClock>,
    pub client: Client,
    pub key: String,
}

/// A config with a manual clock and generous limits (tests about limits set their own).
pub fn config() -> (SimConfig, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START_MS));
    let config = SimConfig {
        clock: clock.clone(),
        read_limit: BucketLimit::new(10_000, 10),
        command_limit: BucketLimit::new(10_000, 5),
        ..SimConfig::default()
    };
    (config, clock)
}

pub async fn start_with(config: SimConfig, clock: Arc<ManualClock>) -> Sim {
    let handle = Simulator::start(config).await.expect("simulator starts");
    let key = handle.servers()[0].key.clone();
    let client = Client::builder().no_proxy().build().expect("client");
    Sim {
        handle,
        clock,
        client,
        key,
    }
}

pub async fn start() -> Sim {
    let (config, clock) = config();
    start_with(config, clock).await
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }

    /// A GET with the first server's key.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client
            .get(self.url(path))
            .header("Server-Key", &self.key)
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).send().await.expect("request");
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("json body")
    }

    /// POST /v2/server/command with the first server's key.
    pub async fn command(&self, text: &str) -> Response {
        self.client
            .post(self.url("/v2/server/command"))
            .header("Server-Key", &self.key)
            .json(&serde_json::json!({ "command": text }))
            .send()
            .await
            .expect("request")
    }
}

/// Status and JSON body of a response.
pub async fn status_and_body(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}
