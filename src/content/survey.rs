//! Every file and folder under `index/` and `dialogs/` is read or reported: a staff member who
//! saves an entry where the loader does not look must hear so, not believe it is live.
//!
//! The loaders ([`crate::content::knowledge::load`], [`crate::content::dialogs::load`]) read what they know by name. This
//! walks both folders (without following links) and reports the rest, each with the reason in
//! the staff's words:
//! - an error where the file can only be a mistake: an entry saved directly in `index/`, in a
//!   folder no municipality of `places.toml` names, in a subfolder of a municipality folder,
//!   named `.TOML` or `…toml.txt` (Notepad), with capital letters or characters the guide does
//!   not allow, an unknown `.toml` in `dialogs/`, a link that leads nowhere or in a circle;
//! - a warning for anything else that is not read (a spreadsheet, a memo), and for an entry so
//!   large (over [`LARGE_BYTES`]) that it cannot be an entry as staff write them;
//! - nothing for what is ignored on purpose, as `index/README.md` says: a README, names starting
//!   with `_` (a template, a draft put aside) and hidden names starting with `.` (made by the
//!   system or an editor).

use std::path::{Path, PathBuf};

use super::problem::Problem;

/// An entry file this large is no entry a person wrote (the largest real one is a few KB).
pub const LARGE_BYTES: u64 = 1_000_000;

/// What the loaders read: the files in `index/` and `dialogs/` by name, and the municipality
/// folders of `places.toml`.
pub struct Known<'a> {
    pub index_files: &'a [&'a str],
    pub municipality_folders: &'a [String],
    pub dialogs_files: &'a [&'a str],
}

/// The problems of files the loaders do not read (or should not: too large).
pub fn survey(index_dir: &Path, dialogs_dir: &Path, known: &Known) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (path, name, kind) in children(index_dir, &mut problems) {
        match kind {
            Kind::File if known.index_files.contains(&name.as_str()) => {}
            Kind::File if is_toml_like(&name) => problems.push(
                Problem::error(&path, None, "index/ の中に直接あるファイルは読み込まれません")
                    .hint("項目のファイルは自治体のフォルダ(index/setagaya/ など)に入れてください"),
            ),
            Kind::File => problems.push(not_read(&path)),
            Kind::Dir if known.municipality_folders.contains(&name) => {
                survey_municipality(&path, &mut problems);
            }
            Kind::Dir => problems.push(unread_folder(
                &path,
                format!(
                    "「{name}」というフォルダは places.toml の自治体のフォルダ({})のどれでもないので、中のファイルは読み込まれません",
                    known.municipality_folders.join("、")
                ),
                "フォルダ名を places.toml の folder に合わせるか、places.toml に自治体を加えてください",
            )),
            Kind::Broken(reason) => problems.push(broken(&path, &reason)),
        }
    }
    for (path, name, kind) in children(dialogs_dir, &mut problems) {
        match kind {
            Kind::File if known.dialogs_files.contains(&name.as_str()) => {}
            Kind::File if is_toml_like(&name) => problems.push(
                Problem::error(
                    &path,
                    None,
                    format!("dialogs/ で読み込むのは {} だけです", known.dialogs_files.join("、")),
                )
                .hint("文言はこの3つのファイルのどれかに書いてください(名前のつづりも確かめてください)"),
            ),
            Kind::File => problems.push(not_read(&path)),
            Kind::Dir => problems.push(
                Problem::warning(&path, None, "dialogs/ の中のフォルダは読み込まれません")
                    .hint("文言は dialogs/ の中の3つのファイルに書いてください"),
            ),
            Kind::Broken(reason) => problems.push(broken(&path, &reason)),
        }
    }
    problems
}

/// A municipality folder: its lower-case `.toml` files are entries; anything else is reported.
fn survey_municipality(folder: &Path, problems: &mut Vec<Problem>) {
    let mut none = Vec::new();
    for (path, name, kind) in children(folder, &mut none) {
        match kind {
            Kind::File if name.ends_with(".toml") => {
                let stem = &name[..name.len() - ".toml".len()];
                if !stem.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') || stem.is_empty() {
                    problems.push(
                        Problem::error(&path, None, format!("ファイル名「{name}」に使えない文字があります(大文字・下線・全角など)"))
                            .hint("ファイル名は半角の小文字ローマ字・数字・ハイフンだけにしてください(例: kosodate-hiroba.toml)"),
                    );
                }
                match std::fs::metadata(&path) {
                    Ok(meta) if meta.len() > LARGE_BYTES => problems.push(
                        Problem::warning(&path, None, format!("とても大きなファイルです({} MB)", meta.len() / 1_000_000))
                            .hint("1つの項目は数 KB です。別のファイルを間違えて保存していないか確かめてください"),
                    ),
                    _ => {}
                }
            }
            Kind::File if is_toml_like(&name) => problems.push(
                Problem::error(&path, None, format!("「{name}」は読み込まれません(名前の最後が「.toml」ではありません)"))
                    .hint(if name.to_ascii_lowercase().ends_with(".txt") {
                        "メモ帳が「.txt」を付けて保存しています。「ファイルの種類」を「すべてのファイル」にして、名前の最後を .toml にしてください"
                    } else {
                        "名前の最後を小文字の .toml にしてください"
                    }),
            ),
            Kind::File => problems.push(not_read(&path)),
            Kind::Dir => problems.push(unread_folder(
                &path,
                "自治体のフォルダの中のフォルダは読み込まれません".into(),
                "項目のファイルは自治体のフォルダの中に直接置いてください",
            )),
            Kind::Broken(reason) => problems.push(broken(&path, &reason)),
        }
    }
}

enum Kind {
    File,
    Dir,
    /// A link that leads nowhere, or in a circle: the reason, in Japanese.
    Broken(String),
}

/// The names in `dir`, sorted, with what each is (links followed once to tell), leaving out
/// those ignored on purpose.
fn children(dir: &Path, problems: &mut Vec<Problem>) -> Vec<(PathBuf, String, Kind)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new(); // the loaders report a folder they cannot read
    };
    let mut out: Vec<(PathBuf, String, Kind)> = Vec::new();
    for entry in read {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        let name = file_name(&path);
        if ignored_on_purpose(&name) {
            continue;
        }
        let kind = match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => Kind::Dir,
            Ok(_) => Kind::File,
            Err(e) if e.raw_os_error() == Some(40) => Kind::Broken("リンクが輪になっています(ELOOP)".into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Kind::Broken("リンク先がありません".into()),
            Err(e) => {
                problems.push(
                    Problem::error(&path, None, format!("読めません ({e})")).hint("ファイルの権限を確かめてください"),
                );
                continue;
            }
        };
        out.push((path, name, kind));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every file under `dir`, any depth (links not followed).
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(read) = std::fs::read_dir(&folder) else { continue };
        for entry in read.flatten() {
            let path = entry.path();
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => folders.push(path),
                Ok(_) => files.push(path),
                Err(_) => {}
            }
        }
    }
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// README, `_template.toml`, `.DS_Store`: declared in `index/README.md` as never read.
fn ignored_on_purpose(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.') || name.to_ascii_lowercase().starts_with("readme")
}

/// A name that says TOML in some spelling: `a.toml`, `a.TOML`, `a.toml.txt`.
fn is_toml_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".toml") || lower.contains(".toml.")
}

/// A folder the loader does not read: an error when entries sit in it (they can only be meant
/// to be read), a warning otherwise.
fn unread_folder(path: &Path, message: String, hint: &str) -> Problem {
    let holds_entries = walk_files(path).iter().any(|p| is_toml_like(&file_name(p)));
    let problem =
        if holds_entries { Problem::error(path, None, message) } else { Problem::warning(path, None, message) };
    problem.hint(hint)
}

fn not_read(path: &Path) -> Problem {
    Problem::warning(path, None, "このファイルは読み込まれません(案内の項目ではありません)")
        .hint("置いたままでかまいませんが、項目のつもりなら名前の最後を .toml にしてください")
}

fn broken(path: &Path, reason: &str) -> Problem {
    Problem::error(path, None, format!("読めないリンクです: {reason}"))
        .hint("リンクを消すか、正しいファイルを指すように作り直してください")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known<'static> {
        static FOLDERS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        Known {
            index_files: &["places.toml", "wording.toml"],
            municipality_folders: FOLDERS.get_or_init(|| vec!["setagaya".into(), "nishitokyo".into()]),
            dialogs_files: &["texts.toml", "crisis.toml", "menu.toml"],
        }
    }

    #[test]
    fn every_file_is_read_reported_or_ignored_on_purpose() {
        let root = tempfile::tempdir().unwrap();
        let (index, dialogs) = (root.path().join("index"), root.path().join("dialogs"));
        let write = |relative: &str| {
            let path = root.path().join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "title = \"x\"\n").unwrap();
        };
        for file in [
            "index/places.toml",
            "index/wording.toml",
            "index/README.md",
            "index/setagaya/kosodate-hiroba.toml",
            "index/setagaya/_template.toml",
            "index/setagaya/.kosodate-hiroba.toml.swp",
            "dialogs/texts.toml",
            "dialogs/crisis.toml",
            "dialogs/menu.toml",
        ] {
            write(file);
        }
        assert!(survey(&index, &dialogs, &known()).is_empty(), "{:#?}", survey(&index, &dialogs, &known()));
        for mistake in [
            "index/new-entry.toml",
            "index/setagaya-ku/kosodate.toml",
            "index/setagaya/old/kosodate.toml",
            "index/setagaya/kosodate-hiroba2.toml.txt",
            "index/setagaya/kosodate.TOML",
            "index/setagaya/Kosodate_Hiroba.toml",
            "dialogs/text.toml",
        ] {
            write(mistake);
        }
        write("index/setagaya/memo.xlsx");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.path().join("nowhere.toml"), index.join("setagaya/dangling.toml")).unwrap();
            std::os::unix::fs::symlink(index.join("setagaya/loop.toml"), index.join("setagaya/loop.toml")).unwrap();
        }
        let problems = survey(&index, &dialogs, &known());
        let named = |suffix: &str| {
            problems.iter().find(|p| p.file.ends_with(suffix)).unwrap_or_else(|| panic!("{suffix}: {problems:#?}"))
        };
        for (file, says) in [
            ("index/new-entry.toml", "直接あるファイルは読み込まれません"),
            ("index/setagaya-ku", "places.toml の自治体のフォルダ"),
            ("index/setagaya/old", "フォルダの中のフォルダ"),
            ("index/setagaya/kosodate-hiroba2.toml.txt", "「.toml」ではありません"),
            ("index/setagaya/kosodate.TOML", "「.toml」ではありません"),
            ("index/setagaya/Kosodate_Hiroba.toml", "使えない文字"),
            ("dialogs/text.toml", "読み込むのは"),
        ] {
            let problem = named(file);
            assert!(problem.is_error() && problem.message.contains(says), "{file}: {problem:?}");
        }
        assert!(named("kosodate-hiroba2.toml.txt").hint.as_deref().unwrap().contains("メモ帳"));
        assert!(!named("index/setagaya/memo.xlsx").is_error(), "a spreadsheet is a warning");
        #[cfg(unix)]
        {
            assert!(named("dangling.toml").message.contains("リンク先がありません"));
            assert!(named("loop.toml").message.contains("輪"));
        }
    }

    #[test]
    fn a_huge_entry_is_a_warning() {
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("index/setagaya");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("big.toml"), vec![b'#'; (LARGE_BYTES + 1) as usize]).unwrap();
        let problems = survey(&root.path().join("index"), &root.path().join("dialogs"), &known());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(!problems[0].is_error() && problems[0].message.contains("大きな"));
    }
}
