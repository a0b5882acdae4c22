//! The store's operator commands, run through the real `erlc-bot` binary: backup, restore
//! (and its refusal to overwrite), and rotate-master-key printing only fingerprints.

use std::path::Path;
use std::process::{Command, Output};

use erlc_bot::erlc::ServerKey;
use erlc_bot::store::{MasterKey, MasterKeySource, Store, StoreConfig};

const SERVER_KEY: &str = "CliSecret123456-srv77";

fn erlc_bot(cwd: &Path, data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_erlc-bot"))
        .args(args)
        .current_dir(cwd)
        .env("DATA_DIR", data_dir)
        .env_remove("ERLC_BOT_MASTER_KEY")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn open(data_dir: &Path) -> Store {
    let source = MasterKeySource::File(data_dir.join("master.key"));
    Store::open(StoreConfig::new(data_dir, source)).unwrap()
}

#[test]
fn backup_restore_and_rotate_through_the_binary() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    MasterKey::generate()
        .write_key_file(&data.join("master.key"))
        .unwrap();
    {
        let store = open(&data);
        let key = ServerKey::new(SERVER_KEY);
        store
            .settings()
            .add_server(9, "main", &key, 1, "ann")
            .unwrap();
    }

    let backup = root.path().join("backup.jsonl");
    let out = erlc_bot(root.path(), &data, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("wrote"), "{}", text(&out.stdout));

    let restored = root.path().join("restored");
    let out = erlc_bot(
        root.path(),
        &restored,
        &["restore", backup.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = erlc_bot(
        root.path(),
        &restored,
        &["restore", backup.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--force"),
        "{}",
        text(&out.stderr)
    );
    std::fs::copy(data.join("master.key"), restored.join("master.key")).unwrap();
    assert_eq!(
        open(&restored)
            .settings()
            .server_key(9, "main")
            .unwrap()
            .expose(),
        SERVER_KEY
    );

    let out = erlc_bot(root.path(), &data, &["rotate-master-key"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout) + &text(&out.stderr);
    let new_key = MasterKey::from_file(&data.join("master.key")).unwrap();
    let new_key_text = std::fs::read_to_string(data.join("master.key")).unwrap();
    assert!(printed.contains(&new_key.fingerprint()), "{printed}");
    assert!(!printed.contains(new_key_text.trim()), "{printed}");
    assert!(!printed.contains(SERVER_KEY), "{printed}");
    assert_eq!(
        open(&data)
            .settings()
            .server_key(9, "main")
            .unwrap()
            .expose(),
        SERVER_KEY
    );
}
