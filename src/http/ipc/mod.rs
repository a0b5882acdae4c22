//! The dashboard IPC: its own WebSocket listener at `IPC_BIND` (default 127.0.0.1:20000, the
//! port the published discord-ext-ipc / discord-ext-ipcx clients try first; any path), wire
//! compatible with those clients (see [`protocol`]), so a discord.py-style dashboard calls the
//! bot unmodified. Off unless `IPC_SECRET` is set. An upgrade that carries an `Origin` header
//! comes from a browser page and is refused: only programs may reach the IPC. Requests on one
//! socket are answered in order; sockets are served concurrently. The server never pings a
//! client (both clients retry a request when a ping arrives instead of their answer).

mod args;
mod dispatch;
pub mod protocol;
mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header::ORIGIN};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::actions::{MemberLookup, Services};
use crate::config::{IpcSecret, IpcSettings};
use crate::tracker::Tracker;

pub use dispatch::BOT_WIDE_AUDIT_CHAIN;

/// The IPC's address could not be bound.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not listen on {addr}: {source}. Is another program using that port? Set IPC_BIND \
     to a free address"
)]
pub struct IpcBindError {
    /// The address that was asked for (`IPC_BIND`).
    pub addr: SocketAddr,
    /// The operating system's reason.
    pub source: std::io::Error,
}

/// Largest message read from a client. Requests are small; a reply may be far larger (a
/// `pad` of up to 4 MiB), and replies are not limited.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// What the IPC's requests share.
pub struct IpcState {
    services: Services,
    tracker: Tracker,
    members: Arc<dyn MemberLookup>,
    secret: IpcSecret,
    timeout: Duration,
    /// The listener's port, for the discovery step's answer.
    port: u16,
}

/// What the listener hands each socket besides the shared state. Kept apart from
/// [`IpcState`] so a handler still running after its timeout does not hold the IPC open.
#[derive(Clone)]
struct Sockets {
    state: Arc<IpcState>,
    /// Becomes true when the IPC stops: sockets close once their request in flight is
    /// answered.
    stopping: watch::Receiver<bool>,
    /// Held by every open socket, so stopping can wait for them.
    open: mpsc::Sender<()>,
}

impl std::fmt::Debug for IpcState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpcState")
            .field("secret", &self.secret)
            .field("timeout", &self.timeout)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The IPC, built and not yet serving.
pub struct Ipc {
    services: Services,
    tracker: Tracker,
    members: Arc<dyn MemberLookup>,
    settings: IpcSettings,
    listener: TcpListener,
}

impl std::fmt::Debug for Ipc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ipc")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Ipc {
    /// Bind `settings.bind`; routes reach the bot through `services` and `tracker`, and learn
    /// who an acting member is through `members`.
    pub async fn bind(
        settings: IpcSettings,
        services: Services,
        tracker: Tracker,
        members: Arc<dyn MemberLookup>,
    ) -> Result<Self, IpcBindError> {
        let addr = settings.bind;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| IpcBindError { addr, source })?;
        Ok(Self {
            services,
            tracker,
            members,
            settings,
            listener,
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serve until `shutdown` completes, then close every socket once its request in flight
    /// is answered, and return when all are closed.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let addr = self.local_addr();
        if let Some(addr) = addr {
            tracing::info!(%addr, "dashboard IPC listening");
        }
        let (stop, stopping) = watch::channel(false);
        let (open, mut all_closed) = mpsc::channel(1);
        let state = Arc::new(IpcState {
            services: self.services,
            tracker: self.tracker,
            members: self.members,
            secret: self.settings.secret,
            timeout: self.settings.timeout,
            port: addr.map_or(0, |a| a.port()),
        });
        let sockets = Sockets {
            state,
            stopping,
            open,
        };
        let app = Router::new().fallback(upgrade).with_state(sockets);
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                stop.send_replace(true);
            })
            .await;
        if let Err(e) = served {
            tracing::warn!("the dashboard IPC stopped with an error: {e}");
        }
        // The router (and its sender) is gone; each open socket holds a clone until it closes.
        while all_closed.recv().await.is_some() {}
    }
}

/// Any path: upgrade to a WebSocket, unless a browser page is asking.
async fn upgrade(
    State(sockets): State<Sockets>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if headers.contains_key(ORIGIN) {
        tracing::info!("refused an IPC upgrade from a web page (it sent an Origin header)");
        return (
            StatusCode::FORBIDDEN,
            "the IPC does not serve web pages; call it from the dashboard's server",
        )
            .into_response();
    }
    ws.max_message_size(MAX_REQUEST_BYTES)
        .max_frame_size(MAX_REQUEST_BYTES)
        .on_upgrade(move |socket| serve_socket(sockets, socket))
}

/// Answer the socket's requests one after another until it closes or the IPC stops.
async fn serve_socket(sockets: Sockets, mut socket: WebSocket) {
    let Sockets {
        state,
        mut stopping,
        open: _open,
    } = sockets;
    loop {
        let message = tokio::select! {
            message = socket.recv() => message,
            _ = stopping.wait_for(|stopping| *stopping) => break,
        };
        let bytes = match message {
            Some(Ok(Message::Text(text))) => bytes::Bytes::from(text),
            Some(Ok(Message::Binary(bytes))) => bytes,
            // Pongs to a client's pings are sent by the WebSocket layer itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => break,
        };
        let reply = dispatch::handle(&state, &bytes).await;
        if socket
            .send(Message::Text(reply.to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
}
