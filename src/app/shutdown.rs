//! The shutdown protocol. A running app stops in this order, each step finished before the
//! next begins, so nothing is lost between them:
//!
//! 1. the front end: the Discord gateway closes, so no new commands or clicks arrive;
//! 2. intake: polling stops (a poll in flight finishes and stores its events), the HTTP
//!    server stops taking webhooks (requests in flight finish) and the dashboard IPC stops
//!    taking requests (each socket's request in flight is answered);
//! 3. delivery: the feed pipeline routes what was stored last, queues what it holds and
//!    delivers what is queued (for a bounded time), and store upkeep stops;
//! 4. the database is flushed.
//!
//! Steps 2 and 3 are [`Tasks`]: every background task is spawned into its stage with a
//! [`Shutdown`] to watch, and a stage is told to stop as a whole and waited for. A task that
//! fails says why in the log itself; stopping goes on regardless, as a failed task must not
//! keep the others from finishing in order. What starts it all is the caller's: [`Signals`]
//! for the bot and the demo, the end of a measurement for the bench.

use std::fmt;
use std::future::Future;

use tokio::signal::unix::{self, SignalKind};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What a background task watches to learn that it should stop.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown {
    stopping: watch::Receiver<bool>,
}

impl Shutdown {
    /// Completes once the task's stage is stopping, at once if it already is.
    pub(crate) async fn wait(mut self) {
        // An error means the stage itself is gone, which also means stop.
        let _ = self.stopping.wait_for(|stopping| *stopping).await;
    }
}

/// Background tasks stopped together, and waited for.
#[derive(Debug)]
struct Stage {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Stage {
    fn new() -> Self {
        Self {
            stop: watch::channel(false).0,
            tasks: Vec::new(),
        }
    }

    fn spawn<F>(&mut self, name: &'static str, task: impl FnOnce(Shutdown) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let shutdown = Shutdown {
            stopping: self.stop.subscribe(),
        };
        self.tasks.push((name, tokio::spawn(task(shutdown))));
    }

    async fn stop(self) {
        self.stop.send_replace(true);
        for (name, task) in self.tasks {
            if let Err(e) = task.await {
                tracing::warn!("the {name} task ended abnormally: {e}");
            }
        }
    }
}

/// The app's background tasks, by the step of the shutdown that stops them.
#[derive(Debug)]
pub(crate) struct Tasks {
    intake: Stage,
    delivery: Stage,
}

impl Tasks {
    pub(crate) fn new() -> Self {
        Self {
            intake: Stage::new(),
            delivery: Stage::new(),
        }
    }

    /// Spawn a task that brings work in (polling, webhooks): stopped first.
    pub(crate) fn intake<F>(&mut self, name: &'static str, task: impl FnOnce(Shutdown) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.intake.spawn(name, task);
    }

    /// Spawn a task that finishes work (delivery, upkeep): stopped once intake has stopped.
    pub(crate) fn delivery<F>(&mut self, name: &'static str, task: impl FnOnce(Shutdown) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.delivery.spawn(name, task);
    }

    /// Steps 2 and 3 of the protocol: stop intake, then delivery, each waited for.
    pub(crate) async fn stop(self) {
        self.intake.stop().await;
        self.delivery.stop().await;
    }
}

/// Which signal asked the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, as Ctrl-C sends it.
    Interrupt,
    /// SIGTERM, as service managers and `kill` send it.
    Terminate,
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Interrupt => "Ctrl-C",
            Self::Terminate => "SIGTERM",
        })
    }
}

/// The process's stop signals (Ctrl-C and SIGTERM), caught from the moment
/// [`Signals::listen`] returns: one that arrives before anyone awaits [`Signals::recv`] is
/// kept for it, instead of killing the process mid-start.
#[derive(Debug)]
pub struct Signals {
    interrupt: Option<unix::Signal>,
    terminate: Option<unix::Signal>,
}

impl Signals {
    /// Catch Ctrl-C and SIGTERM from now on. One that cannot be caught is logged and left
    /// out, so the other still stops the process.
    pub fn listen() -> Self {
        Self {
            interrupt: catch(SignalKind::interrupt(), Signal::Interrupt),
            terminate: catch(SignalKind::terminate(), Signal::Terminate),
        }
    }

    /// Completes on the first stop signal, and says which.
    pub async fn recv(mut self) -> Signal {
        tokio::select! {
            () = arrival(&mut self.interrupt) => Signal::Interrupt,
            () = arrival(&mut self.terminate) => Signal::Terminate,
        }
    }
}

/// `kind`, caught from now on; `None` (and a warning) when it cannot be.
fn catch(kind: SignalKind, which: Signal) -> Option<unix::Signal> {
    unix::signal(kind)
        .inspect_err(|e| {
            tracing::warn!("cannot listen for {which} ({e}); it will not stop the process")
        })
        .ok()
}

/// Completes when the signal arrives; never for one that is not caught.
async fn arrival(signal: &mut Option<unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    /// A task that waits for its shutdown, takes `slow` turns of the scheduler to finish (as
    /// a poll in flight would), then notes that it stopped.
    fn note_stop(
        log: &Arc<Mutex<Vec<&'static str>>>,
        name: &'static str,
        slow: usize,
    ) -> impl FnOnce(Shutdown) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
        let log = log.clone();
        move |shutdown| {
            Box::pin(async move {
                shutdown.wait().await;
                for _ in 0..slow {
                    tokio::task::yield_now().await;
                }
                log.lock().unwrap().push(name);
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn intake_stops_before_delivery_is_told_to() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Tasks::new();
        tasks.delivery("pipeline", note_stop(&log, "pipeline", 0));
        tasks.intake("tracker", note_stop(&log, "tracker", 100));
        tasks.intake("http", note_stop(&log, "http", 100));
        tokio::time::timeout(Duration::from_secs(10), tasks.stop())
            .await
            .expect("every stage stops");
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 3);
        assert_eq!(log[2], "pipeline", "delivery stops last: {log:?}");
    }

    #[tokio::test]
    async fn a_failed_task_does_not_keep_the_next_stage_from_stopping() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Tasks::new();
        tasks.intake("broken", |_shutdown| async { panic!("the task failed") });
        tasks.delivery("pipeline", note_stop(&log, "pipeline", 0));
        tokio::time::timeout(Duration::from_secs(10), tasks.stop())
            .await
            .expect("every stage stops");
        assert_eq!(*log.lock().unwrap(), ["pipeline"]);
    }

    #[tokio::test]
    async fn a_task_spawned_after_its_stage_stopped_is_not_left_waiting() {
        let stage = Stage::new();
        let shutdown = Shutdown {
            stopping: stage.stop.subscribe(),
        };
        stage.stop().await;
        tokio::time::timeout(Duration::from_secs(10), shutdown.wait())
            .await
            .expect("a shutdown whose stage is gone completes");
    }
}
