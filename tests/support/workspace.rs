//! A throwaway copy of the project's staff files (index/, dialogs/, config.toml) for tests that
//! run the real binary and may write: the repository's own files are never touched.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Workspace {
    pub dir: tempfile::TempDir,
}

pub struct Output {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        copy_dir(&repo.join("index"), &dir.path().join("index"));
        copy_dir(&repo.join("dialogs"), &dir.path().join("dialogs"));
        std::fs::copy(repo.join("config.toml"), dir.path().join("config.toml")).expect("config copied");
        Workspace { dir }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Runs `madoguchi --config <copy>/config.toml ARGS` in the copy, with the tests' dictionary.
    pub fn run(&self, args: &[&str]) -> Output {
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dictionary-cache");
        let output = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .current_dir(self.dir.path())
            .env("MADOGUCHI_CACHE_DIR", cache)
            .arg("--config")
            .arg(self.path("config.toml"))
            .args(args)
            .output()
            .expect("binary runs");
        Output {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Every file under index/ with its bytes.
    pub fn index_files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        collect(&self.path("index"), &self.path("index"), &mut files);
        files
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir created");
    for entry in std::fs::read_dir(from).expect("dir readable") {
        let path = entry.expect("dir entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("file copied");
        }
    }
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).expect("dir readable") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under root").to_path_buf();
            files.insert(relative, std::fs::read(&path).expect("file readable"));
        }
    }
}
