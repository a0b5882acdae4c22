//! The live state stream (`/live`, SODP 1.0) through the real binary and the simulator, with
//! this suite's own SODP client: a watcher of `.players` gets a DELTA for a join within a poll
//! and its replica equals the game's list; after a drop RESUME replays what it missed and
//! converges; presence vanishes when its session drops; bad, expired and missing tokens are
//! refused and closed; foreign keys are 403 without saying whether they exist; text frames are
//! 400 and the session lives on; a frame over 1 MiB is 413 and a close; a browser Origin other
//! than PUBLIC_URL is refused; `erlc.kick` over CALL is refused and audited without the
//! capability and kicks in the game with it. Also the client's own delta application, checked
//! against SODP's delta cases, so its verdicts can be trusted.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use erlc_bot::live::token::{LiveClaims, TokenKeys};
use erlc_bot::sim::{PlayerSpec, SimServer};
use serde_json::{Value, json};

use crate::support::bot_process::BotProcess;
use crate::support::e2e::{World, applied, embed_text};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::ids;
use crate::support::sodp_client::{SodpError, SodpTestClient, apply_ops, kind};
use crate::support::wait::{WAIT, wait_for, wait_for_async, within};

const SECRET: &str = "live-stream-test-secret-0123456789abcdef";
const PUBLIC_URL: &str = "https://panel.example.test";

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// A token as the bot would mint it for `member` (name, role ids, admin) in the test guild,
/// valid from `iat` to `exp`.
fn token_with(
    secret: &str,
    member: u64,
    name: &str,
    roles: &[u64],
    admin: bool,
    exp: u64,
) -> String {
    let claims = LiveClaims {
        sub: member.to_string(),
        guild: ids::GUILD.to_string(),
        name: name.to_string(),
        roles: roles.iter().map(u64::to_string).collect(),
        admin,
        iat: now_unix(),
        exp,
    };
    TokenKeys::new(secret.as_bytes()).mint(&claims)
}

fn owner_token() -> String {
    token_with(SECRET, ids::OWNER, "owner", &[], true, now_unix() + 3600)
}

fn moderator_token() -> String {
    token_with(
        SECRET,
        ids::MODERATOR,
        "modperson",
        &[ids::MODERATOR_ROLE],
        false,
        now_unix() + 3600,
    )
}

fn member_token() -> String {
    token_with(
        SECRET,
        ids::MEMBER,
        "regular",
        &[],
        false,
        now_unix() + 3600,
    )
}

fn key(part: &str) -> String {
    format!("{}.main.{part}", ids::GUILD)
}

/// A world with the first simulated server stored as `main`, the bot started with live state
/// on and PUBLIC_URL set, its first poll of `main` done. Returns the bot and `ws://…/live`.
async fn live_world(players: &[(u64, &str)]) -> (World, BotProcess, String) {
    let world = World::start(0).await;
    let server = world.sim.server(0).expect("simulated server");
    for (id, name) in players {
        server
            .add_player(PlayerSpec::named(name).with_id(*id).with_team("Civilian"))
            .expect("add a player");
    }
    world.seed_server_and_feed("main", ids::LOG_CHANNEL, &["?/player/join"]);
    let mut env = world.env();
    env.extra.push(("LIVE_JWT_SECRET".into(), SECRET.into()));
    env.extra.push(("PUBLIC_URL".into(), PUBLIC_URL.into()));
    let bot = world.start_bot_with(&env).await;
    bot.wait_for_log("live state on", WAIT).await;
    let base = bot.http_base(WAIT).await;
    let url = format!("{}/live", base.replacen("http://", "ws://", 1));
    world.wait_for_polls_of(&world.sim_key(), 1).await;
    // The simulator answering a poll is not yet the tracker publishing it: wait for the key.
    wait_for_async("the server's live keys", || {
        let url = url.clone();
        async move {
            let Ok((mut owner, _)) = SodpTestClient::connect_authed(&url, &owner_token()).await
            else {
                return false;
            };
            let published = matches!(
                owner.watch(&key("server")).await,
                Ok(Ok(init)) if init.body["initialized"] == json!(true)
            );
            owner.close().await;
            published
        }
    })
    .await;
    (world, bot, url)
}

/// The game's player list as `.players` keys it: Roblox user id -> name.
fn game_players(server: &SimServer) -> BTreeMap<String, String> {
    server
        .players()
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect()
}

/// The same view of a `.players` value.
fn replica_players(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, player)| {
            let name = player["name"].as_str().unwrap_or_default().to_string();
            (id.clone(), name)
        })
        .collect()
}

/// Polls of `main` the simulator answered so far.
fn polls_of_main(world: &World) -> usize {
    let fingerprint = erlc_bot::fingerprint::fingerprint(&world.sim_key());
    world
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/server" && r.status == 200)
        .filter(|r| r.key_fingerprint.as_deref() == Some(fingerprint.as_str()))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_follows_joins_resumes_after_a_drop_and_sees_presence_vanish() {
    let (world, mut bot, url) = live_world(&[(1001, "Builderman"), (1002, "Noob")]).await;
    world.grant_moderators().await;
    let server = world.sim.server(0).expect("simulated server");
    let players = key("players");

    let (mut watcher, sub) = SodpTestClient::connect_authed(&url, &owner_token())
        .await
        .expect("the owner connects");
    assert_eq!(
        sub,
        ids::OWNER.to_string(),
        "AUTH_OK carries the token's sub"
    );
    let init = watcher
        .watch(&players)
        .await
        .expect("the socket works")
        .expect("the owner may watch .players");
    assert_eq!(init.kind, kind::STATE_INIT);
    assert_eq!(init.body["initialized"], json!(true), "{:?}", init.body);
    assert_eq!(replica_players(&init.body["value"]), game_players(&server));

    // A join: one DELTA, an ADD of that player, before the tracker is two polls further than
    // the one that could first see the join (a poll in flight when the player joined may
    // have read the game just before).
    let polls_before = polls_of_main(&world);
    server
        .add_player(PlayerSpec::named("Guest").with_id(1003).with_team("Police"))
        .expect("add a player");
    let delta = watcher
        .wait_frame(WAIT, |f| f.kind == kind::DELTA)
        .await
        .expect("a DELTA for the join");
    assert!(
        polls_of_main(&world) <= polls_before + 2,
        "the DELTA came {} polls after the join",
        polls_of_main(&world) - polls_before
    );
    assert_eq!(
        delta.body["state"],
        json!(players),
        "every DELTA names its key"
    );
    assert_eq!(
        delta.stream, init.stream,
        "DELTAs arrive on the watch's stream"
    );
    assert!(delta.seq > init.seq, "the server counts its frames");
    assert_eq!(
        delta.body["ops"],
        json!([{"op": "ADD", "path": "/1003", "value": delta.body["ops"][0]["value"]}]),
        "a join is one ADD of the player"
    );
    assert_eq!(delta.body["ops"][0]["value"]["name"], json!("Guest"));
    let after_join = watcher.replica(&players).expect("a replica").clone();
    assert!(after_join.version > init.body["version"].as_u64().unwrap_or_default());
    assert_eq!(replica_players(&after_join.value), game_players(&server));

    // A second member watches who is watching; the first one says it is here.
    let (mut viewer, _) = SodpTestClient::connect_authed(&url, &moderator_token())
        .await
        .expect("the moderator connects");
    let viewers = key("viewers");
    viewer
        .watch(&viewers)
        .await
        .expect("the socket works")
        .expect("a moderator may watch .viewers");
    let here = watcher
        .call(
            "state.presence",
            json!({"state": viewers, "path": format!("/{}", ids::OWNER), "value": {"name": "owner"}}),
        )
        .await
        .expect("a RESULT");
    assert_eq!(here["success"], json!(true), "{here}");
    let owner_path = ids::OWNER.to_string();
    viewer
        .wait_for_value(&viewers, WAIT, |v| v.get(&owner_path).is_some())
        .await
        .expect("the owner's presence shows");
    // Nobody binds someone else's path.
    let impostor = watcher
        .call(
            "state.presence",
            json!({"state": viewers, "path": format!("/{}", ids::MODERATOR), "value": {}}),
        )
        .await
        .expect("a RESULT");
    assert_eq!(impostor["success"], json!(false), "{impostor}");

    // The watcher drops without a goodbye: its presence vanishes.
    watcher.drop_connection();
    viewer
        .wait_for_value(&viewers, WAIT, |v| v.get(&owner_path).is_none())
        .await
        .expect("the owner's presence is removed when its session ends");

    // Meanwhile the game changes twice, each seen by its own poll.
    viewer
        .watch(&players)
        .await
        .expect("the socket works")
        .expect("a moderator may watch .players");
    server.remove_player(1002).expect("remove a player");
    viewer
        .wait_for_value(&players, WAIT, |v| v.get("1002").is_none())
        .await
        .expect("the leave reaches the stream");
    server
        .add_player(
            PlayerSpec::named("Latecomer")
                .with_id(1004)
                .with_team("Civilian"),
        )
        .expect("add a player");
    viewer
        .wait_for_value(&players, WAIT, |v| v.get("1004").is_some())
        .await
        .expect("the join reaches the stream");

    // RESUME from where the watcher left: the replayed DELTAs turn its old replica into the
    // snapshot that ends the replay, which is the game's list.
    let (mut back, _) = SodpTestClient::connect_authed(&url, &owner_token())
        .await
        .expect("the owner reconnects");
    let resumed = back
        .resume(&players, after_join.clone())
        .await
        .expect("RESUME answers");
    assert!(
        resumed.replayed.len() >= 2,
        "the leave and the join are replayed: {:?}",
        resumed.replayed
    );
    assert!(
        resumed.replay_matched_snapshot,
        "the replay leads to the snapshot"
    );
    let versions: Vec<u64> = resumed
        .replayed
        .iter()
        .map(|f| f.body["version"].as_u64().unwrap_or_default())
        .collect();
    assert!(
        versions.first() > Some(&after_join.version) && versions.is_sorted(),
        "only newer deltas are replayed, in order: {versions:?}"
    );
    assert_eq!(
        resumed.init.body["version"].as_u64(),
        versions.last().copied(),
        "the STATE_INIT that ends the replay is at the last replayed version"
    );
    let converged = back
        .wait_for_value(&players, WAIT, |v| {
            replica_players(v) == game_players(&server)
        })
        .await
        .expect("the resumed replica converges on the game");
    assert_eq!(converged.as_object().map(|m| m.len()), Some(3));

    back.close().await;
    viewer.close().await;
    bot.stop(WAIT).await;
    world.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_keys_frames_and_origins_are_checked() {
    let (world, mut bot, url) = live_world(&[(1001, "Builderman")]).await;

    // A token signed with another secret, an expired token: 401 and the socket closes.
    let forged = token_with(
        "another-secret",
        ids::OWNER,
        "owner",
        &[],
        true,
        now_unix() + 3600,
    );
    let expired = token_with(SECRET, ids::OWNER, "owner", &[], true, now_unix() - 10);
    for (what, token) in [
        ("forged", forged),
        ("expired", expired),
        ("garbage", "not.a.jwt".into()),
    ] {
        let mut client = SodpTestClient::connect(&url, None).await.expect("connects");
        let hello = client.hello().await.expect("HELLO");
        assert_eq!(hello["auth"], json!(true));
        let refused = client.auth(&token).await.expect("an answer");
        assert_eq!(refused.map_err(|(code, _)| code), Err(401), "{what} token");
        client.wait_closed(WAIT).await.expect("the socket closes");
    }

    // Before AUTH only HEARTBEAT is allowed: it is echoed; a WATCH is 401 and a close.
    let mut early = SodpTestClient::connect(&url, None).await.expect("connects");
    let hello = early.hello().await.expect("HELLO");
    assert_eq!(hello["protocol"], json!("sodp"));
    assert_eq!(hello["version"], json!("1.0"));
    for capability in [
        "resume",
        "multi_watch",
        "rate_limit_writes",
        "rate_limit_watches",
        "backpressure_limit",
    ] {
        assert!(
            hello["capabilities"].get(capability).is_some(),
            "HELLO lacks {capability}: {hello}"
        );
    }
    early
        .send(kind::HEARTBEAT, 0, Value::Null)
        .await
        .expect("send");
    early
        .wait_frame(WAIT, |f| f.kind == kind::HEARTBEAT)
        .await
        .expect("HEARTBEAT is echoed before AUTH");
    early
        .send(kind::WATCH, 10, json!({"state": key("players")}))
        .await
        .expect("send");
    let (code, _) = early.wait_error(WAIT).await.expect("an ERROR");
    assert_eq!(code, 401);
    early.wait_closed(WAIT).await.expect("the socket closes");

    // A member without `view`: a real key and a made-up one are refused alike; another
    // guild's key too.
    let (mut member, _) = SodpTestClient::connect_authed(&url, &member_token())
        .await
        .expect("the member connects");
    let real = member.watch(&key("players")).await.expect("an answer");
    let made_up = member
        .watch(&format!("{}.nosuch.players", ids::GUILD))
        .await
        .expect("an answer");
    let (real, made_up) = (real.expect_err("refused"), made_up.expect_err("refused"));
    assert_eq!(real.0, 403);
    assert_eq!(real, made_up, "a denial never says whether the key exists");
    member.close().await;
    let (mut owner, _) = SodpTestClient::connect_authed(&url, &owner_token())
        .await
        .expect("the owner connects");
    let other_guild = owner
        .watch("123456789012345678.main.players")
        .await
        .expect("an answer");
    assert_eq!(other_guild.map_err(|(code, _)| code).err(), Some(403));

    // A text frame and an undecodable binary frame: 400, and the session goes on.
    owner.send_text("{\"hello\": 1}").await.expect("send");
    assert_eq!(owner.wait_error(WAIT).await.expect("an ERROR").0, 400);
    owner.send_raw(vec![0xc1, 0xff, 0x00]).await.expect("send");
    assert_eq!(owner.wait_error(WAIT).await.expect("an ERROR").0, 400);
    let init = owner.watch(&key("server")).await.expect("an answer");
    let init = init.expect("the session still works after the 400s");
    assert_eq!(init.body["initialized"], json!(true));

    // Clients do not write state.
    let set = owner
        .call("state.set", json!({"state": key("players"), "value": {}}))
        .await
        .expect("a RESULT");
    assert_eq!(set["success"], json!(false), "{set}");

    // A frame over 1 MiB: 413 and a close.
    let big = "x".repeat(1_100 * 1024);
    owner
        .send(
            kind::CALL,
            0,
            json!({"call_id": "big", "method": "erlc.pm", "args": {"message": big}}),
        )
        .await
        .expect("send");
    assert_eq!(owner.wait_error(WAIT).await.expect("an ERROR").0, 413);
    owner.wait_closed(WAIT).await.expect("the socket closes");

    // Origins: a browser page of another site is refused; the bot's own and none are fine.
    match SodpTestClient::connect(&url, Some("https://evil.example.test")).await {
        Err(SodpError::Refused(status)) => assert_eq!(status, 403),
        Err(other) => panic!("a foreign Origin failed otherwise: {other}"),
        Ok(_) => panic!("a foreign Origin was let in"),
    }
    for origin in [Some(PUBLIC_URL), None] {
        let mut client = SodpTestClient::connect(&url, origin)
            .await
            .unwrap_or_else(|e| panic!("Origin {origin:?}: {e}"));
        client.hello().await.expect("HELLO");
        client.close().await;
    }

    bot.stop(WAIT).await;
    // Nothing here posts to Discord, so only its rules are checked.
    world.fake.assert_no_violations();
    world.fake.assert_no_unknown_routes();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kick_over_call_needs_the_capability_and_is_audited() {
    let (world, mut bot, url) = live_world(&[(1001, "Builderman"), (1002, "Noob")]).await;
    world.grant_moderators().await;
    let server = world.sim.server(0).expect("simulated server");
    let kick = json!({"server": "main", "player": "Noob", "reason": "testing"});

    let (mut member, _) = SodpTestClient::connect_authed(&url, &member_token())
        .await
        .expect("the member connects");
    let refused = member
        .call("erlc.kick", kick.clone())
        .await
        .expect("a RESULT");
    assert_eq!(refused["success"], json!(false), "{refused}");
    assert!(
        refused["data"].to_string().contains("moderate"),
        "the refusal names the capability: {refused}"
    );
    member.close().await;
    assert!(!applied(&server, "kick", 1002), "nothing reached the game");
    let search = Opt::sub("search", vec![Opt::string("action", "command.kick")]);
    let audit = world.slash_ok(ids::OWNER, "audit", vec![search]).await;
    let log = embed_text(&audit);
    assert!(log.contains("regular"), "the refusal is audited: {log}");

    let (mut moderator, _) = SodpTestClient::connect_authed(&url, &moderator_token())
        .await
        .expect("the moderator connects");
    let mut result = moderator.call("erlc.kick", kick).await.expect("a RESULT");
    assert_eq!(result["success"], json!(true), "{result}");
    if result["data"]["status"] == json!("needs_confirmation") {
        let confirm = json!({"confirm_id": result["data"]["confirm_id"]});
        result = moderator
            .call("action.confirm", confirm)
            .await
            .expect("a RESULT");
        assert_eq!(result["success"], json!(true), "{result}");
    }
    wait_for("the kick in the game", || applied(&server, "kick", 1002)).await;
    assert!(!game_players(&server).contains_key("1002"), "Noob is gone");
    moderator.close().await;

    bot.stop(WAIT).await;
    world.assert_clean();
}

/// The test client's delta application on SODP's own delta cases (event-model.md §1.14).
#[test]
fn the_test_client_applies_deltas_as_sodp_says() {
    let apply = |state: Value, ops: Value| apply_ops(&state, ops.as_array().expect("ops"));
    let cases = [
        (
            json!({"a": 1}),
            json!([{"op": "ADD", "path": "/", "value": 5}]),
            json!(5),
        ),
        (
            json!({"a": 1}),
            json!([{"op": "UPDATE", "path": "/", "value": [1]}]),
            json!([1]),
        ),
        (
            json!({"a": 1}),
            json!([{"op": "REMOVE", "path": "/"}]),
            Value::Null,
        ),
        (
            json!({"a": 1}),
            json!([{"op": "ADD", "path": "/b", "value": 2}]),
            json!({"a": 1, "b": 2}),
        ),
        (
            json!({"a": 1}),
            json!([{"op": "UPDATE", "path": "/a", "value": 3}]),
            json!({"a": 3}),
        ),
        (
            json!({"a": 1}),
            json!([{"op": "REMOVE", "path": "/a"}]),
            json!({}),
        ),
        (
            json!({"a": 1}),
            json!([{"op": "REMOVE", "path": "/zz"}]),
            json!({"a": 1}),
        ),
        (
            json!({}),
            json!([{"op": "ADD", "path": "/x/y/z", "value": 1}]),
            json!({"x": {"y": {"z": 1}}}),
        ),
        (
            json!({"a": {"b": 1, "c": 2}}),
            json!([{"op": "UPDATE", "path": "/a/b", "value": 9}]),
            json!({"a": {"b": 9, "c": 2}}),
        ),
        (
            json!([1]),
            json!([{"op": "ADD", "path": "/-", "value": 2}, {"op": "ADD", "path": "/-", "value": 3}]),
            json!([1, 2, 3]),
        ),
        (
            json!({"l": [1, 2, 3]}),
            json!([{"op": "UPDATE", "path": "/l/1", "value": 7}]),
            json!({"l": [1, 7, 3]}),
        ),
        (
            json!({"l": [1, 2, 3]}),
            json!([{"op": "REMOVE", "path": "/l/0"}]),
            json!({"l": [2, 3]}),
        ),
        (
            Value::Null,
            json!([{"op": "ADD", "path": "/-", "value": 1}]),
            json!([1]),
        ),
        (
            Value::Null,
            json!([{"op": "ADD", "path": "/0", "value": 1}]),
            json!([1]),
        ),
        (
            Value::Null,
            json!([{"op": "ADD", "path": "/items/-", "value": 1}]),
            json!({"items": [1]}),
        ),
        (
            Value::Null,
            json!([{"op": "ADD", "path": "/name", "value": "n"}]),
            json!({"name": "n"}),
        ),
        (json!({"a": 1}), json!([]), json!({"a": 1})),
        (
            json!({}),
            json!([{"op": "ADD", "path": "/a~1b~0c", "value": 1}]),
            json!({"a/b~c": 1}),
        ),
    ];
    for (state, ops, expected) in cases {
        let before = state.clone();
        assert_eq!(apply(state.clone(), ops.clone()), Ok(expected), "{ops}");
        assert_eq!(state, before, "the input is never changed");
    }
    for name in ["add", "FOO", "replace"] {
        let ops = json!([{"op": name, "path": "/a", "value": 1}]);
        assert!(apply(json!({}), ops).is_err(), "{name} is not an op");
    }
}

/// The unmodified published Python client (`sodp-client` 0.2.2) against the binary: run by
/// `tests/published/run.sh`, which sets up the venv and names it in `PUBLISHED_VENV`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the published Python clients: run tests/published/run.sh"]
async fn published_sodp_client_watches_calls_and_is_refused_writes() {
    let venv = std::env::var("PUBLISHED_VENV")
        .expect("PUBLISHED_VENV names the venv of tests/published/setup-venv.sh");
    let (world, mut bot, url) = live_world(&[(1001, "Builderman")]).await;
    world.grant_moderators().await;
    let server = world.sim.server(0).expect("simulated server");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/published/sodp_check.py");
    let mut check = tokio::process::Command::new(format!("{venv}/bin/python"))
        .args([
            script,
            &url,
            &moderator_token(),
            &ids::GUILD.to_string(),
            "main",
            &ids::MODERATOR.to_string(),
            "1005",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the check script");
    let stdout = check.stdout.take().expect("stdout is piped");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let mut said = Vec::new();
    let watching = within("the script watches", async {
        while let Some(line) = lines.next_line().await.expect("read the script's output") {
            said.push(line.clone());
            if line == "watching" {
                return true;
            }
        }
        false
    })
    .await;
    assert!(watching, "the script stopped early: {said:?}");
    server
        .add_player(
            PlayerSpec::named("Joiner")
                .with_id(1005)
                .with_team("Civilian"),
        )
        .expect("add a player");
    while let Some(line) = within("the script's output", lines.next_line())
        .await
        .expect("read the script's output")
    {
        said.push(line);
    }
    let output = within("the script ends", check.wait_with_output())
        .await
        .expect("wait for the script");
    assert!(
        output.status.success() && said.last().map(String::as_str) == Some("ok"),
        "the published client's check failed ({}): {said:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    bot.stop(WAIT).await;
    world.assert_clean();
}
