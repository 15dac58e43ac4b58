//! Staff files saved where madoguchi does not read them (`tests/fixtures/misplaced/`): `index
//! check` names each with the file and the reason, and a live reload of the running answers
//! reports exactly the same errors, so a staff member is told the same thing either way.

use std::path::Path;

use crate::workspace::Workspace;
use madoguchi::config::Config;
use madoguchi::serving::live::{LiveEngine, Outcome};

/// What each misplaced file is reported as: (file, error or warning, words of the reason).
const EXPECTED: [(&str, bool, &str); 10] = [
    ("index/kosodate-hiroba.toml", true, "index/ の中に直接あるファイルは読み込まれません"),
    ("index/setagaya-ku", true, "places.toml の自治体のフォルダ"),
    ("index/setagaya/old", true, "フォルダの中のフォルダ"),
    ("index/setagaya/kosodate-hiroba2.toml.txt", true, "「.toml」ではありません"),
    ("index/setagaya/kosodate-hiroba3.TOML", true, "「.toml」ではありません"),
    ("index/setagaya/Kosodate_Hiroba.toml", true, "使えない文字"),
    ("index/setagaya/dangling.toml", true, "リンク先がありません"),
    ("index/setagaya/loop.toml", true, "輪"),
    ("dialogs/text.toml", true, "読み込むのは"),
    ("index/setagaya/memo.xlsx", false, "読み込まれません"),
];

/// Lays the fixture tree over the workspace, keeping its symbolic links as links.
fn add_misplaced_files(ws: &Workspace) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/misplaced");
    for top in ["index", "dialogs"] {
        overlay(&fixture.join(top), &ws.path(top));
    }
}

fn overlay(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (path, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&path).unwrap(), &target).unwrap();
        } else if kind.is_dir() {
            overlay(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The problem lines (with their hint) index check printed about `file`.
fn said_about<'a>(report: &'a [String], file: &str) -> Vec<&'a String> {
    report.iter().filter(|p| p.contains(&format!("{file}:")) || p.contains(&format!("{file} "))).collect()
}

/// index check's output as one string per problem (its line and the hint under it).
fn problems_of(stdout: &str) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("    → ") {
            if let Some(last) = problems.last_mut() {
                last.push('\n');
                last.push_str(line);
            }
        } else if line.contains(": エラー: ") || line.contains(": 注意: ") {
            problems.push(line.to_string());
        }
    }
    problems
}

#[test]
fn index_check_names_every_misplaced_file_with_its_reason() {
    let ws = Workspace::new();
    add_misplaced_files(&ws);
    let out = ws.run(&["index", "check"]);
    assert!(!out.ok, "help: index check passed with files it does not read\n{}", out.stdout);
    let problems = problems_of(&out.stdout);
    for (file, is_error, reason) in EXPECTED {
        let said = said_about(&problems, file);
        let label = if is_error { ": エラー: " } else { ": 注意: " };
        assert!(
            said.iter().any(|p| p.contains(label) && p.contains(reason)),
            "{file}: expected {label}…{reason}, got {said:#?}\nall:\n{}",
            out.stdout
        );
        assert!(said.iter().all(|p| p.contains("\n    → ")), "{file}: every report says what to do: {said:#?}");
    }
}

#[test]
fn a_reload_reports_the_same_errors_as_index_check_and_keeps_the_answers() {
    let ws = Workspace::new();
    let mut config = Config::load(&ws.path("config.toml"), true).unwrap();
    config.cache_dir = Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("dictionary-cache"));
    let today = chrono::Local::now().date_naive();
    let live = LiveEngine::open(&config, today).unwrap();
    let before = live.current().knowledge().entries.len();
    add_misplaced_files(&ws);

    let report = live.reload();
    let Outcome::Rejected { errors } = &report.outcome else {
        panic!("help: a reload took files it does not read: {report}")
    };
    let reloaded: Vec<String> = errors.iter().map(|p| p.to_string()).collect();
    let checked = problems_of(&ws.run(&["index", "check"]).stdout);
    let checked_errors: Vec<&String> = checked.iter().filter(|p| p.contains(": エラー: ")).collect();
    assert_eq!(reloaded.len(), checked_errors.len(), "reload:\n{reloaded:#?}\nindex check:\n{checked_errors:#?}");
    for (file, is_error, reason) in EXPECTED.iter().filter(|(_, is_error, _)| *is_error) {
        let in_reload = said_about(&reloaded, file);
        assert!(
            in_reload.iter().any(|p| p.contains(reason)),
            "{file} ({}): reload said {in_reload:#?}",
            if *is_error { "error" } else { "warning" }
        );
        // Word for word what index check says (the paths as the config names them).
        for said in in_reload {
            assert!(checked_errors.iter().any(|c| c == &said), "{said}\nis not in index check's:\n{checked_errors:#?}");
        }
    }
    assert_eq!(live.current().knowledge().entries.len(), before, "the answers being served are kept");
}

#[test]
fn the_template_in_the_guide_is_the_template_file() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(repo.join("index/README.md")).unwrap();
    let after = guide.split("**ひな形**").nth(1).expect("the guide shows the template");
    let block = after.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).expect("as a toml block");
    let file = std::fs::read_to_string(repo.join("index/_template.toml")).unwrap();
    assert_eq!(block, file, "help: index/README.md chapter 3 and index/_template.toml must say the same");
}

#[test]
fn an_entry_copied_from_the_template_and_not_rewritten_is_refused_key_by_key() {
    let ws = Workspace::new();
    let template = std::fs::read_to_string(ws.path("index/_template.toml")).unwrap();
    // What a staff member does first: the id and the name; the rest is left as the template wrote it.
    let copy = template
        .replace("id = \"setagaya/kosodate-coordinator\"", "id = \"setagaya/atarashii-service\"")
        .replace("title = \"地域子育て支援コーディネーター\"", "title = \"新しいサービス\"");
    std::fs::write(ws.path("index/setagaya/atarashii-service.toml"), &copy).unwrap();
    let out = ws.run(&["index", "check"]);
    assert!(!out.ok, "help: an entry still holding the template's examples passed:\n{}", out.stdout);
    let problems = problems_of(&out.stdout);
    for key in ["details", "source"] {
        let line = copy.lines().position(|l| l.starts_with(&format!("{key} ="))).unwrap() + 1;
        let expected = format!("atarashii-service.toml:{line}: エラー: {key} がひな形の例「");
        assert!(
            problems.iter().any(|p| p.contains(&expected) && p.contains("のままです")),
            "{expected}\n{}",
            out.stdout
        );
    }
    // The template itself is not an entry.
    assert!(!out.stdout.contains("_template.toml"), "{}", out.stdout);
}

#[test]
fn a_crisis_rule_the_dictionary_cannot_read_is_an_error_in_index_check_and_a_reload() {
    let ws = Workspace::new();
    let mut config = Config::load(&ws.path("config.toml"), true).unwrap();
    config.cache_dir = Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("dictionary-cache"));
    let live = LiveEngine::open(&config, chrono::Local::now().date_naive()).unwrap();

    let path = ws.path("dialogs/crisis.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[[rule]]\nkind = \"suicidal\"\nwhen = [\"死に:たい\"]\n");
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().count();
    let expected = format!("crisis.toml:{line}: エラー: 「死に」は活用した形なので、どの文にも当てはまりません");

    let out = ws.run(&["index", "check"]);
    assert!(!out.ok, "help: index check passed a crisis rule that matches nothing:\n{}", out.stdout);
    assert!(
        out.stdout.contains(&expected) && out.stdout.contains("辞書の形「死ぬ」で書き"),
        "{expected}\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("エラー 1 件"), "{}", out.stdout);

    let report = live.reload();
    let Outcome::Rejected { errors } = &report.outcome else { panic!("help: the reload did not reject it: {report}") };
    assert!(errors.len() == 1 && errors[0].to_string().contains(&expected), "{errors:#?}");
}

#[test]
fn a_crisis_group_no_rule_names_is_a_warning_on_its_line() {
    let ws = Workspace::new();
    let path = ws.path("dialogs/crisis.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // A group written in [groups] but named by no rule is read by nothing.
    let text = text.replacen("[groups]\n", "[groups]\n\"使わない\" = [\"線路\", \"踏切\"]\n", 1);
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().position(|l| l.starts_with("\"使わない\"")).unwrap() + 1;
    let out = ws.run(&["index", "check"]);
    assert!(out.ok, "a warning is no error:\n{}", out.stdout);
    let expected =
        format!("crisis.toml:{line}: 注意: [groups] の「使わない」は、どのルールにも @使わない と書かれていません");
    assert!(out.stdout.contains(&expected), "{expected}\n{}", out.stdout);
    assert!(out.stdout.contains("注意 1 件"), "{}", out.stdout);
}

#[test]
fn a_misspelt_key_in_crisis_toml_is_named_on_its_line() {
    let ws = Workspace::new();
    let path = ws.path("dialogs/crisis.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[[rule]]\nkind = \"suicidal\"\nwhn = [\"死ぬ:たい\"]\n");
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().count();
    let out = ws.run(&["index", "check"]);
    assert!(!out.ok, "{}", out.stdout);
    let expected = format!("crisis.toml:{line}: エラー: 「whn」という項目名は使えません");
    assert!(out.stdout.contains(&expected), "{expected}\n{}", out.stdout);
    assert!(out.stdout.contains("使える項目名: kind、when、scope"), "{}", out.stdout);
}

#[test]
fn a_second_entry_with_the_same_title_names_its_line_and_the_first_file() {
    let ws = Workspace::new();
    let original = std::fs::read_to_string(ws.path("index/setagaya/haishoku-service.toml")).unwrap();
    let copy = original.replace("id = \"setagaya/haishoku-service\"", "id = \"setagaya/haishoku-service2\"");
    std::fs::write(ws.path("index/setagaya/haishoku-service2.toml"), &copy).unwrap();
    let out = ws.run(&["index", "check"]);
    assert!(!out.ok, "{}", out.stdout);
    let line = copy.lines().position(|l| l.starts_with("title =")).unwrap() + 1;
    let problems = problems_of(&out.stdout);
    let said = problems
        .iter()
        .find(|p| p.contains(&format!("haishoku-service2.toml:{line}: エラー: 「配食サービス」は ")))
        .unwrap_or_else(|| panic!("no line {line} for the duplicate title:\n{}", out.stdout));
    assert!(
        said.contains("haishoku-service.toml にもあります") && said.contains("1つのファイルにまとめてください"),
        "{said}"
    );
}
