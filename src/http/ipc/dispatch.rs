//! One request, start to end, in the order that keeps the IPC safe: parse (malformed → 400),
//! check the secret (missing → 401, wrong → 403) before looking at the route (so nobody
//! without the secret learns which routes exist), answer the discovery step, find the route
//! (unknown → 404), look up the acting member for routes that act for one, then run the
//! handler under a timeout (→ 504) with a generic 500 for anything that is a bug rather than
//! a refusal. Every request gets a tracing span and an audit record (route and outcome; never
//! the secret).

use std::sync::Arc;

use serde_json::{Value, json};
use tracing::Instrument;

use crate::actions::{ActionError, AuditAction, AuditDraft, Member, begin_audit, complete_audit};
use crate::store::{AuditActor, AuditOutcome, Source};

use super::IpcState;
use super::args::Args;
use super::protocol::{self, Kind, Refusal};
use super::routes::{self, Call, Route};

/// The audit chain of requests that belong to no guild the bot serves (pings, refused
/// requests): Discord ids are never 0, so it is nobody's guild chain.
pub const BOT_WIDE_AUDIT_CHAIN: u64 = 0;

/// What a bug looks like from outside: nothing of its internals.
const GENERIC: &str = "the bot could not answer that request; its log says why";

/// Answer one message.
pub(super) async fn handle(state: &Arc<IpcState>, bytes: &[u8]) -> Value {
    let incoming = match protocol::parse(bytes) {
        Ok(incoming) => incoming,
        Err(refusal) => {
            let span = tracing::info_span!("ipc", route = "(malformed)");
            return reject(state, "(malformed)", BOT_WIDE_AUDIT_CHAIN, refusal)
                .instrument(span)
                .await;
        }
    };
    let route = match &incoming.kind {
        Kind::Connect => "connect".to_owned(),
        Kind::Request { endpoint, .. } => endpoint.clone(),
    };
    let span = tracing::info_span!("ipc", route = %route);
    async move {
        let secret = protocol::check_secret(&state.secret, incoming.authorization.as_deref());
        if let Err(refusal) = secret {
            // Before the secret is known good, nothing the caller says picks an audit chain.
            return reject(state, &route, BOT_WIDE_AUDIT_CHAIN, refusal).await;
        }
        let data = match incoming.kind {
            Kind::Connect => {
                record(state, BOT_WIDE_AUDIT_CHAIN, system(), "connect", None).await;
                return protocol::connect_reply(state.port);
            }
            Kind::Request { data, .. } => data,
        };
        let guild = Args(&data).opt_u64("guild").ok().flatten();
        let Some(found) = routes::find(&route) else {
            let refusal = Refusal::new(404, format!("no route named `{route}`"));
            return reject(state, &route, chain_for(state, guild), refusal).await;
        };
        run(state, found, data, guild).await
    }
    .instrument(span)
    .await
}

/// Look up the member, write the intent, run the handler under the timeout, write the
/// outcome.
async fn run(
    state: &Arc<IpcState>,
    route: &'static Route,
    data: serde_json::Map<String, Value>,
    guild: Option<u64>,
) -> Value {
    let acting = if route.acts_for_member {
        let lookup = tokio::time::timeout(state.timeout, acting_member(state, &data));
        match lookup.await.unwrap_or_else(|_| Err(too_late())) {
            Ok(acting) => Some(acting),
            Err(refusal) => {
                return reject(state, route.name, chain_for(state, guild), refusal).await;
            }
        }
    } else {
        None
    };
    let chain = chain_for(state, guild);
    let actor = acting
        .as_ref()
        .map_or_else(system, |(_, member)| member.audit_actor());
    let note = AuditDraft::new(
        AuditAction::IpcRequest,
        Some(route.name.to_owned()),
        json!({ "route": route.name }),
    );
    let ticket = match begin_audit(state.services.store(), chain, actor, Source::Ipc, note).await {
        Ok(ticket) => ticket,
        Err(e) => {
            tracing::error!("could not audit an IPC request, so it was not run: {e}");
            return Refusal::new(500, GENERIC).to_json();
        }
    };
    let call = Call {
        state: state.clone(),
        data,
        acting,
    };
    // Its own task: a panic becomes a 500 here, and a handler still running at the timeout
    // finishes (and completes its own audit records) in the background.
    let task = tokio::spawn((route.run)(call));
    let answer = match tokio::time::timeout(state.timeout, task).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(failed)) => {
            tracing::error!("the IPC route failed: {failed}");
            Err(Refusal::new(500, GENERIC))
        }
        Err(_) => Err(too_late()),
    };
    let outcome = match &answer {
        Ok(_) => AuditOutcome::Ok,
        Err(refusal) => failed(refusal),
    };
    complete_audit(state.services.store(), ticket, outcome).await;
    match answer {
        Ok(reply) => {
            tracing::info!(code = 200, "IPC request answered");
            reply
        }
        Err(refusal) => {
            tracing::info!(code = refusal.code, "IPC request refused");
            refusal.to_json()
        }
    }
}

/// `guild` and `member` of a route that acts for a member, and who the member is.
async fn acting_member(
    state: &IpcState,
    data: &serde_json::Map<String, Value>,
) -> Result<(u64, Member), Refusal> {
    let args = Args(data);
    let guild = args.u64("guild")?;
    let user = args.u64("member")?;
    match state.members.member(guild, user).await {
        Ok(Some(member)) => Ok((guild, member)),
        Ok(None) => Err(Refusal::new(
            403,
            "that member is not in that Discord server (or the bot is not)",
        )),
        Err(e) => Err(action_refusal(&e)),
    }
}

/// A request refused before any route ran: logged and audited (in `chain`) as refused.
async fn reject(state: &IpcState, route: &str, chain: u64, refusal: Refusal) -> Value {
    tracing::info!(code = refusal.code, "IPC request refused");
    record(state, chain, system(), route, Some(&refusal)).await;
    refusal.to_json()
}

/// An intent and its outcome together, for a request that ran nothing.
async fn record(
    state: &IpcState,
    chain: u64,
    actor: AuditActor,
    route: &str,
    refusal: Option<&Refusal>,
) {
    let store = state.services.store();
    let note = AuditDraft::new(
        AuditAction::IpcRequest,
        Some(route.to_owned()),
        json!({ "route": route }),
    );
    match begin_audit(store, chain, actor, Source::Ipc, note).await {
        Ok(ticket) => {
            let outcome = refusal.map_or(AuditOutcome::Ok, failed);
            complete_audit(store, ticket, outcome).await;
        }
        Err(e) => tracing::error!("could not audit an IPC request: {e}"),
    }
}

fn too_late() -> Refusal {
    Refusal::new(504, "the bot did not answer in time")
}

fn failed(refusal: &Refusal) -> AuditOutcome {
    AuditOutcome::Failed(format!("{} {}", refusal.code, refusal.message))
}

fn system() -> AuditActor {
    AuditActor::System("ipc".into())
}

/// The guild's own chain when the guild has servers set up here, else the bot-wide one (so
/// a caller cannot start chains for guilds the bot does not serve).
fn chain_for(state: &IpcState, guild: Option<u64>) -> u64 {
    guild
        .filter(|guild| {
            state
                .services
                .directory()
                .labels(*guild)
                .is_ok_and(|labels| !labels.is_empty())
        })
        .unwrap_or(BOT_WIDE_AUDIT_CHAIN)
}

/// An action's error as a reply: a refusal the member can act on keeps its own words and a
/// fitting code; anything else (the store, a sandbox, PRC unreachable) is logged and
/// answered in general words.
pub(super) fn action_refusal(error: &ActionError) -> Refusal {
    let words = || error.user_message();
    match error {
        ActionError::PermissionDenied { .. } | ActionError::NotYourConfirmation => {
            Refusal::new(403, words())
        }
        ActionError::NoServer
        | ActionError::UnknownServer { .. }
        | ActionError::ConfirmationExpired => Refusal::new(404, words()),
        ActionError::MemberLookup(_) => Refusal::new(503, words()),
        ActionError::PickServer { .. }
        | ActionError::PlayerNotFound { .. }
        | ActionError::AmbiguousPlayer { .. }
        | ActionError::InvalidInput(_)
        | ActionError::BadKey(_) => Refusal::new(400, words()),
        refused if refused.is_user_error() => Refusal::new(409, words()),
        ActionError::Erlc(e) => {
            tracing::warn!("an IPC action could not reach ER:LC: {e}");
            Refusal::new(502, "the ER:LC API did not answer; try again later")
        }
        other => {
            tracing::error!("an IPC request failed: {other}");
            Refusal::new(500, GENERIC)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;
    use crate::actions::{MemberFuture, MemberLookup, NoDiscordMembers, Services, ServicesOptions};
    use crate::config::Config;
    use crate::erlc::{ClientConfig, ErlcClient};
    use crate::store::{AuditQuery, Capability, MasterKeySource, Store, StoreConfig};
    use crate::tracker::{Tracker, TrackerConfig};

    const SECRET: &str = "s3cret-for-tests";

    struct Fixture {
        state: Arc<IpcState>,
        _dir: tempfile::TempDir,
    }

    /// An IPC state over a fresh store, with no ER:LC server reachable and no Discord.
    fn fixture(timeout: Duration) -> Fixture {
        fixture_with(timeout, Arc::new(NoDiscordMembers))
    }

    fn fixture_with(timeout: Duration, members: Arc<dyn MemberLookup>) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig::new(dir.path(), MasterKeySource::Env("22".repeat(32)));
        let store = Store::open(config).unwrap();
        let erlc = ErlcClient::new(ClientConfig::with_base_url("http://127.0.0.1:9")).unwrap();
        let services = Services::new(store.clone(), erlc, ServicesOptions::default());
        let vars = HashMap::from([("IPC_SECRET".to_owned(), SECRET.to_owned())]);
        let secret = Config::from_map(&vars).unwrap().ipc.unwrap().secret;
        let state = IpcState {
            services,
            tracker: Tracker::new(store, TrackerConfig::default()),
            members,
            secret,
            timeout,
            port: 20000,
        };
        Fixture {
            state: Arc::new(state),
            _dir: dir,
        }
    }

    fn request(endpoint: &str, secret: Option<&str>) -> Vec<u8> {
        let headers = secret.map_or(json!({}), |s| json!({ "Authorization": s }));
        json!({ "endpoint": endpoint, "data": {}, "headers": headers })
            .to_string()
            .into_bytes()
    }

    #[tokio::test]
    async fn the_secret_is_checked_before_the_route_and_every_request_is_audited() {
        let f = fixture(Duration::from_secs(10));
        let answer = |bytes: Vec<u8>| {
            let state = f.state.clone();
            async move { handle(&state, &bytes).await }
        };
        assert_eq!(answer(request("nope", None)).await["code"], 401);
        assert_eq!(answer(request("nope", Some("guess"))).await["code"], 403);
        assert_eq!(answer(request("/nope", Some(SECRET))).await["code"], 404);
        assert_eq!(answer(b"nope".to_vec()).await["code"], 400);
        let pong = answer(request("/ping", Some(SECRET))).await;
        assert_eq!(pong, json!({ "echo": null }));
        let discovered =
            answer(br#"{"connect": true, "headers": {"Authorization": "guess"}}"#.to_vec());
        assert_eq!(
            discovered.await["code"],
            403,
            "discovery needs the secret too"
        );
        let ping_as_member = json!({"endpoint": "kick", "data": {"guild": 1, "member": 2},
            "headers": {"Authorization": SECRET}});
        let headless = answer(ping_as_member.to_string().into_bytes()).await;
        assert_eq!(headless["code"], 503, "{headless}");
        assert!(
            headless["error"]
                .as_str()
                .unwrap()
                .contains("Discord connection")
        );

        let audit = f.state.services.store().audit();
        let page = audit
            .search(
                BOT_WIDE_AUDIT_CHAIN,
                &AuditQuery {
                    limit: 50,
                    ..AuditQuery::default()
                },
            )
            .unwrap();
        let outcomes: Vec<String> = page
            .entries
            .iter()
            .map(|e| {
                format!(
                    "{} {:?}",
                    e.intent.target.as_deref().unwrap_or(""),
                    e.outcome()
                )
            })
            .collect();
        assert_eq!(outcomes.len(), 7, "{outcomes:?}");
        assert!(outcomes[0].starts_with("nope Failed(\"401"), "{outcomes:?}");
        assert!(outcomes[4].starts_with("ping Ok"), "{outcomes:?}");
        let everything = format!("{page:?}");
        assert!(!everything.contains(SECRET) && !everything.contains("guess"));
    }

    /// Discord that never answers.
    struct Hanging;

    impl MemberLookup for Hanging {
        fn member(&self, _guild: u64, _user: u64) -> MemberFuture<'_> {
            Box::pin(std::future::pending())
        }
    }

    #[tokio::test]
    async fn a_member_lookup_that_never_answers_times_out() {
        let f = fixture_with(Duration::from_millis(50), Arc::new(Hanging));
        let kick = json!({"endpoint": "kick", "data": {"guild": 1, "member": 2, "player": "a"},
            "headers": {"Authorization": SECRET}});
        let answer = handle(&f.state, kick.to_string().as_bytes()).await;
        assert_eq!(answer["code"], 504, "{answer}");
    }

    static NEVER: Route = Route {
        name: "never",
        acts_for_member: false,
        run: |_| Box::pin(std::future::pending()),
    };

    static BROKEN: Route = Route {
        name: "broken",
        acts_for_member: false,
        run: |_| Box::pin(async { panic!("internal detail that must not leak") }),
    };

    #[tokio::test]
    async fn a_silent_route_times_out_and_a_failing_one_answers_in_general_words() {
        let f = fixture(Duration::from_millis(50));
        let silent = run(&f.state, &NEVER, serde_json::Map::new(), None).await;
        assert_eq!(
            silent,
            json!({"error": "the bot did not answer in time", "code": 504})
        );
        let broken = run(&f.state, &BROKEN, serde_json::Map::new(), None).await;
        assert_eq!(broken, json!({"error": GENERIC, "code": 500}));
    }

    #[test]
    fn refusals_keep_their_words_and_bugs_do_not() {
        let denied = ActionError::PermissionDenied {
            needed: Capability::Moderate,
            hint: "You need the `moderate` permission".into(),
        };
        assert_eq!(action_refusal(&denied).code, 403);
        assert!(action_refusal(&denied).message.contains("`moderate`"));
        assert_eq!(action_refusal(&ActionError::NoServer).code, 404);
        let absent = ActionError::PlayerNotFound {
            query: "zed".into(),
            online: vec![],
        };
        assert_eq!(action_refusal(&absent).code, 400);
        let broken = ActionError::Store(crate::store::StoreError::Invalid("x".into()));
        let generic = action_refusal(&broken);
        assert_eq!((generic.code, generic.message.as_str()), (500, GENERIC));
        let lookup = ActionError::MemberLookup("no Discord".into());
        assert_eq!(action_refusal(&lookup).code, 503);
    }
}
