//! Counters of the live state stream, read by `/metrics`: sessions open, frames in and out by
//! type, evictions of stalled readers, refused tokens and rate-limited requests.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use super::frame::FrameType;

/// Every frame type, with the name `/metrics` labels it by.
const TYPES: [(FrameType, &str); 12] = [
    (FrameType::Hello, "hello"),
    (FrameType::Watch, "watch"),
    (FrameType::StateInit, "state_init"),
    (FrameType::Delta, "delta"),
    (FrameType::Call, "call"),
    (FrameType::Result, "result"),
    (FrameType::Error, "error"),
    (FrameType::Heartbeat, "heartbeat"),
    (FrameType::Resume, "resume"),
    (FrameType::Auth, "auth"),
    (FrameType::AuthOk, "auth_ok"),
    (FrameType::Unwatch, "unwatch"),
];

/// The counters; shared by the hub and every session.
#[derive(Debug, Default)]
pub struct LiveMetrics {
    sessions: AtomicI64,
    frames_in: [AtomicU64; 16],
    frames_out: [AtomicU64; 16],
    evictions: AtomicU64,
    auth_failures: AtomicU64,
    rate_limited: AtomicU64,
    resume_bytes: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveCounts {
    /// Sessions connected now.
    pub sessions: i64,
    /// Frames received, by type name.
    pub frames_in: Vec<(&'static str, u64)>,
    /// Frames queued for sending, by type name.
    pub frames_out: Vec<(&'static str, u64)>,
    /// Sessions closed because their outbound queue was full.
    pub evictions: u64,
    /// AUTH frames refused (bad, expired or missing token) and tokens that expired live.
    pub auth_failures: u64,
    /// WATCH, RESUME and CALL frames answered 429.
    pub rate_limited: u64,
    /// Estimated bytes the state table's delta rings hold for RESUME (bounded by its budget).
    pub resume_bytes: u64,
}

fn slot(kind: FrameType) -> usize {
    usize::from(kind as u8) & 0x0f
}

impl LiveMetrics {
    pub(super) fn session_opened(&self) {
        self.sessions.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn session_closed(&self) {
        self.sessions.fetch_sub(1, Ordering::Relaxed);
    }

    pub(super) fn frame_in(&self, kind: FrameType) {
        self.frames_in[slot(kind)].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn frame_out(&self, kind: FrameType) {
        self.frames_out[slot(kind)].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn evicted(&self) {
        self.evictions.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn auth_failed(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn set_resume_bytes(&self, bytes: usize) {
        self.resume_bytes
            .store(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> LiveCounts {
        let by_type = |counters: &[AtomicU64; 16]| {
            TYPES
                .iter()
                .map(|(kind, name)| (*name, counters[slot(*kind)].load(Ordering::Relaxed)))
                .collect()
        };
        LiveCounts {
            sessions: self.sessions.load(Ordering::Relaxed),
            frames_in: by_type(&self.frames_in),
            frames_out: by_type(&self.frames_out),
            evictions: self.evictions.load(Ordering::Relaxed),
            auth_failures: self.auth_failures.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            resume_bytes: self.resume_bytes.load(Ordering::Relaxed),
        }
    }
}
