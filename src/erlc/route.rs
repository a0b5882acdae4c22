//! What a request is aimed at (method, path, key fingerprint) and how secrets are scrubbed from
//! text PRC sends back, such as bucket names like `command-<Server-Key>`.

use super::key::{GlobalKey, ServerKey};

/// The HTTP methods the PRC API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`, used for every read.
    Get,
    /// `POST`, used only to send commands.
    Post,
}

impl HttpMethod {
    /// The method as written in logs, e.g. `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

impl std::fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A route as the rate limiter and breaker see it: method, path (no query) and the server key's
/// fingerprint. The key itself never lives here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Route {
    pub method: HttpMethod,
    pub path: String,
    pub key_fp: String,
}

impl Route {
    pub fn new(method: HttpMethod, path: &str, key_fp: &str) -> Self {
        Self {
            method,
            path: normalize_path(path),
            key_fp: key_fp.to_owned(),
        }
    }

    /// `POST …/command`: PRC gives these a strict per-server bucket.
    pub fn is_command(&self) -> bool {
        self.method == HttpMethod::Post && self.path.trim_end_matches('/').ends_with("/command")
    }

    /// Label used in errors and logs, e.g. `GET /v2/server`.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The route without the key: PRC's GET buckets are shared by every key from one IP.
    pub fn shared(&self) -> (HttpMethod, String) {
        (self.method, self.path.clone())
    }
}

/// Paths always start with exactly one `/` so `v2/server` and `/v2/server` are one route.
pub(crate) fn normalize_path(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

/// Replaces every occurrence of the request's secrets with their fingerprints.
pub(crate) struct Redactor<'a> {
    server_key: &'a ServerKey,
    global_key: Option<&'a GlobalKey>,
}

impl<'a> Redactor<'a> {
    pub fn new(server_key: &'a ServerKey, global_key: Option<&'a GlobalKey>) -> Self {
        Self {
            server_key,
            global_key,
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let mut secrets = vec![(self.server_key.expose(), self.server_key.fingerprint())];
        if let Some(global) = self.global_key {
            secrets.push((global.expose(), global.fingerprint()));
        }
        // Longest first, so a secret that contains the other is replaced whole.
        secrets.sort_by_key(|(secret, _)| std::cmp::Reverse(secret.len()));
        for (secret, fp) in secrets {
            if !secret.is_empty() {
                out = out.replace(secret, &fp);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_routes_are_recognised() {
        assert!(Route::new(HttpMethod::Post, "/v2/server/command", "fp").is_command());
        assert!(Route::new(HttpMethod::Post, "v1/server/command/", "fp").is_command());
        assert!(!Route::new(HttpMethod::Get, "/v2/server/command", "fp").is_command());
        assert!(!Route::new(HttpMethod::Post, "/v2/server", "fp").is_command());
        assert_eq!(
            Route::new(HttpMethod::Get, "v2/server", "fp").endpoint(),
            "GET /v2/server"
        );
    }

    #[test]
    fn bucket_names_lose_both_keys() {
        let key = ServerKey::new("Secret1-Srv9");
        let global = GlobalKey::new("GlobalSecret");
        let redactor = Redactor::new(&key, Some(&global));
        let shown = redactor.redact("command-GlobalSecret-Secret1-Srv9");
        assert!(!shown.contains("Secret1") && !shown.contains("GlobalSecret"));
        assert_eq!(
            shown,
            format!("command-{}-{}", global.fingerprint(), key.fingerprint())
        );
        assert_eq!(
            redactor.redact("unauthenticated-global"),
            "unauthenticated-global"
        );
    }
}
