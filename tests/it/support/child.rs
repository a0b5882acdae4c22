//! Re-running this test binary as a child process, for the crash tests that SIGKILL a writer:
//! the child is one `#[ignore]`d test of the calling module, selected by its full name.

use std::process::Command;

/// This test binary, set to run only the ignored test `name` of the module `module_path` (pass
/// `module_path!()`), with output uncaptured so the parent can read what it acknowledged.
pub fn rerun_test(module_path: &str, name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command.args([
        test_name(module_path, name).as_str(),
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    command
}

/// The name the test harness lists: the module path without the crate's own name, so the
/// filter still matches wherever the test module sits (`it::store_crash` →
/// `store_crash::crash_child_writer`).
fn test_name(module_path: &str, name: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, module)) => format!("{module}::{name}"),
        None => name.to_owned(),
    }
}

#[test]
fn a_child_test_is_named_by_its_module_path_without_the_crate() {
    assert_eq!(
        test_name("it::store_crash", "crash_child_writer"),
        "store_crash::crash_child_writer"
    );
    assert_eq!(test_name("it::a::b", "t"), "a::b::t");
    assert_eq!(test_name("it", "t"), "t");
}
