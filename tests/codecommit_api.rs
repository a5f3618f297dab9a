//! CodeCommit's JSON API through the official SDK: repositories, tags, branches, files,
//! commits, folders, blobs and differences, and the model's errors for bad input.

mod common;

use aws_sdk_codecommit::error::ProvideErrorMetadata;
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::{
    DeleteFileEntry, FileModeTypeEnum, OrderEnum, PutFileEntry, SetFileModeEntry, SortByEnum,
};
use aws_sdk_codecommit::Client;

fn code<E: ProvideErrorMetadata>(e: E) -> String {
    e.code().unwrap_or_default().to_string()
}

async fn put(cc: &Client, repo: &str, path: &str, body: &str, parent: Option<&str>) -> String {
    cc.put_file()
        .repository_name(repo)
        .branch_name("main")
        .file_path(path)
        .file_content(Blob::new(body.as_bytes()))
        .set_parent_commit_id(parent.map(str::to_string))
        .commit_message(format!("add {path}"))
        .name("Tester")
        .email("tester@example.com")
        .send()
        .await
        .unwrap()
        .commit_id
}

#[tokio::test]
async fn repositories_lifecycle_and_errors() {
    let server = common::start();
    let cc = common::codecommit(&server);
    let created = cc
        .create_repository()
        .repository_name("shop")
        .repository_description("the shop")
        .tags("team", "web")
        .send()
        .await
        .unwrap();
    let md = created.repository_metadata().unwrap();
    assert_eq!(md.repository_name(), Some("shop"));
    assert_eq!(
        md.arn(),
        Some("arn:aws:codecommit:us-east-1:000000000000:shop")
    );
    assert_eq!(
        md.clone_url_http(),
        Some(format!("http://{}/v1/repos/shop", server.addr).as_str())
    );
    assert!(md.default_branch().is_none());
    let id = md.repository_id().unwrap().to_string();

    let e = cc
        .create_repository()
        .repository_name("shop")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "RepositoryNameExistsException"
    );
    for bad in ["bad name", "../etc", "x.git", &"a".repeat(101)] {
        let e = cc
            .create_repository()
            .repository_name(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code(e.into_service_error()),
            "InvalidRepositoryNameException",
            "{bad}"
        );
    }
    let e = cc
        .get_repository()
        .repository_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "RepositoryDoesNotExistException"
    );

    cc.create_repository()
        .repository_name("alpha")
        .send()
        .await
        .unwrap();
    let list = cc.list_repositories().send().await.unwrap();
    let names: Vec<_> = list
        .repositories()
        .iter()
        .filter_map(|r| r.repository_name())
        .collect();
    assert_eq!(names, vec!["alpha", "shop"]);
    let list = cc
        .list_repositories()
        .sort_by(SortByEnum::RepositoryName)
        .order(OrderEnum::Descending)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = list
        .repositories()
        .iter()
        .filter_map(|r| r.repository_name())
        .collect();
    assert_eq!(names, vec!["shop", "alpha"]);
    let e = cc
        .list_repositories()
        .next_token("zz")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "InvalidContinuationTokenException"
    );

    let batch = cc
        .batch_get_repositories()
        .repository_names("shop")
        .repository_names("ghost")
        .send()
        .await
        .unwrap();
    assert_eq!(batch.repositories().len(), 1);
    assert_eq!(batch.repositories_not_found(), &["ghost".to_string()]);

    cc.update_repository_description()
        .repository_name("shop")
        .repository_description("new words")
        .send()
        .await
        .unwrap();
    cc.update_repository_name()
        .old_name("alpha")
        .new_name("beta")
        .send()
        .await
        .unwrap();
    let e = cc
        .update_repository_name()
        .old_name("beta")
        .new_name("shop")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "RepositoryNameExistsException"
    );
    let got = cc
        .get_repository()
        .repository_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.repository_metadata().unwrap().repository_description(),
        Some("new words")
    );

    let arn = "arn:aws:codecommit:us-east-1:000000000000:shop";
    cc.tag_resource()
        .resource_arn(arn)
        .tags("env", "dev")
        .send()
        .await
        .unwrap();
    cc.untag_resource()
        .resource_arn(arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = cc
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags.get("env").map(String::as_str), Some("dev"));
    let e = cc
        .list_tags_for_resource()
        .resource_arn("arn:nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "InvalidResourceArnException");

    let del = cc
        .delete_repository()
        .repository_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(del.repository_id(), Some(id.as_str()));
    let del = cc
        .delete_repository()
        .repository_name("shop")
        .send()
        .await
        .unwrap();
    assert!(del.repository_id().is_none());
}

#[tokio::test]
async fn files_commits_and_branches() {
    let server = common::start();
    let cc = common::codecommit(&server);
    cc.create_repository()
        .repository_name("app")
        .send()
        .await
        .unwrap();

    let c1 = put(&cc, "app", "README.md", "hello\n", None).await;
    let repo = cc
        .get_repository()
        .repository_name("app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        repo.repository_metadata().unwrap().default_branch(),
        Some("main")
    );

    // Parent checks.
    let e = cc
        .put_file()
        .repository_name("app")
        .branch_name("main")
        .file_path("b.txt")
        .file_content(Blob::new("b"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "ParentCommitIdRequiredException"
    );
    let c2 = put(&cc, "app", "src/lib.rs", "fn main() {}\n", Some(&c1)).await;
    let e = cc
        .put_file()
        .repository_name("app")
        .branch_name("main")
        .file_path("c.txt")
        .file_content(Blob::new("c"))
        .parent_commit_id(&c1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "ParentCommitIdOutdatedException"
    );
    let e = cc
        .put_file()
        .repository_name("app")
        .branch_name("main")
        .file_path("README.md")
        .file_content(Blob::new("hello\n"))
        .parent_commit_id(&c2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "SameFileContentException");
    for bad in ["../escape", "/abs.txt", "a/./b", ".git/config"] {
        let e = cc
            .put_file()
            .repository_name("app")
            .branch_name("main")
            .file_path(bad)
            .file_content(Blob::new("x"))
            .parent_commit_id(&c2)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code(e.into_service_error()),
            "InvalidPathException",
            "{bad}"
        );
    }

    // Reads.
    let f = cc
        .get_file()
        .repository_name("app")
        .file_path("src/lib.rs")
        .send()
        .await
        .unwrap();
    assert_eq!(f.file_content().as_ref(), b"fn main() {}\n");
    assert_eq!(f.commit_id(), c2);
    assert_eq!(f.file_mode(), &FileModeTypeEnum::Normal);
    let e = cc
        .get_file()
        .repository_name("app")
        .file_path("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "FileDoesNotExistException");
    let e = cc
        .get_file()
        .repository_name("app")
        .file_path("README.md")
        .commit_specifier("no-such-branch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "CommitDoesNotExistException");
    let blob = cc
        .get_blob()
        .repository_name("app")
        .blob_id(f.blob_id())
        .send()
        .await
        .unwrap();
    assert_eq!(blob.content().as_ref(), b"fn main() {}\n");
    let folder = cc
        .get_folder()
        .repository_name("app")
        .folder_path("/")
        .send()
        .await
        .unwrap();
    assert_eq!(folder.files().len(), 1);
    assert_eq!(folder.sub_folders()[0].absolute_path(), Some("src"));
    let commit = cc
        .get_commit()
        .repository_name("app")
        .commit_id(&c2)
        .send()
        .await
        .unwrap();
    let commit = commit.commit().unwrap();
    assert_eq!(commit.parents(), std::slice::from_ref(&c1));
    assert_eq!(commit.message(), Some("add src/lib.rs\n"));
    assert_eq!(commit.author().unwrap().email(), Some("tester@example.com"));
    let e = cc
        .get_commit()
        .repository_name("app")
        .commit_id("0123456789012345678901234567890123456789")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "CommitIdDoesNotExistException"
    );
    let e = cc
        .get_commit()
        .repository_name("app")
        .commit_id("xyz")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "InvalidCommitIdException");
    let batch = cc
        .batch_get_commits()
        .repository_name("app")
        .commit_ids(&c1)
        .commit_ids("0123456789012345678901234567890123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(batch.commits().len(), 1);
    assert_eq!(batch.errors().len(), 1);

    // CreateCommit.
    let out = cc
        .create_commit()
        .repository_name("app")
        .branch_name("main")
        .parent_commit_id(&c2)
        .author_name("Tester")
        .email("tester@example.com")
        .commit_message("many changes")
        .put_files(
            PutFileEntry::builder()
                .file_path("bin/run.sh")
                .file_content(Blob::new("#!/bin/sh\n"))
                .file_mode(FileModeTypeEnum::Executable)
                .build()
                .unwrap(),
        )
        .delete_files(
            DeleteFileEntry::builder()
                .file_path("README.md")
                .build()
                .unwrap(),
        )
        .set_file_modes(
            SetFileModeEntry::builder()
                .file_path("src/lib.rs")
                .file_mode(FileModeTypeEnum::Executable)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.files_added().len(), 1);
    assert_eq!(out.files_updated().len(), 1);
    assert_eq!(out.files_deleted().len(), 1);
    let c3 = out.commit_id().unwrap().to_string();
    let e = cc
        .create_commit()
        .repository_name("app")
        .branch_name("main")
        .parent_commit_id(&c3)
        .set_file_modes(
            SetFileModeEntry::builder()
                .file_path("src/lib.rs")
                .file_mode(FileModeTypeEnum::Executable)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "NoChangeException");
    let e = cc
        .create_commit()
        .repository_name("app")
        .branch_name("main")
        .parent_commit_id(&c3)
        .put_files(
            PutFileEntry::builder()
                .file_path("bin/run.sh/inner")
                .file_content(Blob::new("x"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "DirectoryNameConflictsWithFileNameException"
    );

    let diff = cc
        .get_differences()
        .repository_name("app")
        .before_commit_specifier(&c2)
        .after_commit_specifier(&c3)
        .send()
        .await
        .unwrap();
    let mut kinds: Vec<String> = diff
        .differences()
        .iter()
        .map(|d| d.change_type().unwrap().as_str().to_string())
        .collect();
    kinds.sort();
    assert_eq!(kinds, vec!["A", "D", "M"]);

    let del = cc
        .delete_file()
        .repository_name("app")
        .branch_name("main")
        .file_path("bin/run.sh")
        .parent_commit_id(&c3)
        .send()
        .await
        .unwrap();
    let c4 = del.commit_id().to_string();

    // Branches.
    cc.create_branch()
        .repository_name("app")
        .branch_name("dev")
        .commit_id(&c1)
        .send()
        .await
        .unwrap();
    let e = cc
        .create_branch()
        .repository_name("app")
        .branch_name("dev")
        .commit_id(&c1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "BranchNameExistsException");
    let e = cc
        .create_branch()
        .repository_name("app")
        .branch_name("bad..name")
        .commit_id(&c1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "InvalidBranchNameException");
    let e = cc
        .create_branch()
        .repository_name("app")
        .branch_name("x")
        .commit_id("0123456789012345678901234567890123456789")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "CommitDoesNotExistException");
    let b = cc
        .get_branch()
        .repository_name("app")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    assert_eq!(b.branch().unwrap().commit_id(), Some(c4.as_str()));
    let e = cc
        .get_branch()
        .repository_name("app")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "BranchNameRequiredException");
    let e = cc
        .get_branch()
        .repository_name("app")
        .branch_name("gone")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "BranchDoesNotExistException");
    let list = cc
        .list_branches()
        .repository_name("app")
        .send()
        .await
        .unwrap();
    assert_eq!(list.branches(), &["dev".to_string(), "main".to_string()]);
    let e = cc
        .delete_branch()
        .repository_name("app")
        .branch_name("main")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "DefaultBranchCannotBeDeletedException"
    );
    cc.update_default_branch()
        .repository_name("app")
        .default_branch_name("dev")
        .send()
        .await
        .unwrap();
    let del = cc
        .delete_branch()
        .repository_name("app")
        .branch_name("main")
        .send()
        .await
        .unwrap();
    assert_eq!(del.deleted_branch().unwrap().commit_id(), Some(c4.as_str()));
    let e = cc
        .update_default_branch()
        .repository_name("app")
        .default_branch_name("main")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "BranchDoesNotExistException");
}

#[tokio::test]
async fn unbuilt_operations_say_so() {
    let server = common::start();
    let cc = common::codecommit(&server);
    let e = cc
        .list_pull_requests()
        .repository_name("x")
        .send()
        .await
        .unwrap_err();
    let e = e.into_service_error();
    assert_eq!(e.code(), Some("UnknownOperationException"));
    assert!(e.message().unwrap_or_default().contains("not implemented"));
}

#[tokio::test]
async fn empty_folders_stale_parents_and_tag_pages() {
    let server = common::start();
    let cc = common::codecommit(&server);
    cc.create_repository()
        .repository_name("folders")
        .tags("team", "web")
        .send()
        .await
        .unwrap();
    let c1 = put(&cc, "folders", "a/b/c/one.txt", "1\n", None).await;
    let c2 = put(&cc, "folders", "a/b/c/two.txt", "2\n", Some(&c1)).await;
    let c3 = put(&cc, "folders", "top.txt", "t\n", Some(&c2)).await;
    let paths = |commit: String| {
        let cc = cc.clone();
        async move {
            let out = cc
                .get_differences()
                .repository_name("folders")
                .after_commit_specifier(commit)
                .send()
                .await
                .unwrap();
            let mut p: Vec<String> = out
                .differences()
                .iter()
                .filter_map(|d| d.after_blob().and_then(|b| b.path()).map(str::to_string))
                .collect();
            p.sort();
            p
        }
    };

    // A stale parent is refused by DeleteFile and CreateCommit as by PutFile.
    let e = cc
        .delete_file()
        .repository_name("folders")
        .branch_name("main")
        .file_path("top.txt")
        .parent_commit_id(&c2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "ParentCommitIdOutdatedException"
    );
    let e = cc
        .create_commit()
        .repository_name("folders")
        .branch_name("main")
        .parent_commit_id(&c1)
        .delete_files(
            DeleteFileEntry::builder()
                .file_path("top.txt")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "ParentCommitIdOutdatedException"
    );
    // Absolute paths and `..` are refused by DeleteFile and CreateCommit too.
    for bad in ["/top.txt", "a/../top.txt"] {
        let e = cc
            .delete_file()
            .repository_name("folders")
            .branch_name("main")
            .file_path(bad)
            .parent_commit_id(&c3)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code(e.into_service_error()),
            "InvalidPathException",
            "{bad}"
        );
        let e = cc
            .create_commit()
            .repository_name("folders")
            .branch_name("main")
            .parent_commit_id(&c3)
            .put_files(
                PutFileEntry::builder()
                    .file_path(bad)
                    .file_content(Blob::new("x"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code(e.into_service_error()),
            "InvalidPathException",
            "{bad}"
        );
    }

    // Deleting the last file of a folder with keepEmptyFolders keeps the folder (.gitkeep).
    let d1 = cc
        .delete_file()
        .repository_name("folders")
        .branch_name("main")
        .file_path("a/b/c/one.txt")
        .parent_commit_id(&c3)
        .keep_empty_folders(true)
        .send()
        .await
        .unwrap();
    // The folder still holds two.txt: nothing to keep.
    assert_eq!(
        paths(d1.commit_id.clone()).await,
        ["a/b/c/two.txt", "top.txt"]
    );
    let d2 = cc
        .delete_file()
        .repository_name("folders")
        .branch_name("main")
        .file_path("a/b/c/two.txt")
        .parent_commit_id(&d1.commit_id)
        .keep_empty_folders(true)
        .send()
        .await
        .unwrap();
    assert_eq!(d2.file_path(), "a/b/c/two.txt");
    assert_eq!(
        paths(d2.commit_id.clone()).await,
        ["a/b/c/.gitkeep", "top.txt"]
    );
    let keep = cc
        .get_file()
        .repository_name("folders")
        .file_path("a/b/c/.gitkeep")
        .send()
        .await
        .unwrap();
    assert!(keep.file_content().as_ref().is_empty());
    let folder = cc
        .get_folder()
        .repository_name("folders")
        .folder_path("a/b")
        .send()
        .await
        .unwrap();
    assert_eq!(folder.sub_folders().len(), 1);

    // Without it (the default), a delete that empties folders removes them all.
    let c4 = put(&cc, "folders", "x/y/only.txt", "o\n", Some(&d2.commit_id)).await;
    let d3 = cc
        .delete_file()
        .repository_name("folders")
        .branch_name("main")
        .file_path("x/y/only.txt")
        .parent_commit_id(&c4)
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(d3.commit_id.clone()).await,
        ["a/b/c/.gitkeep", "top.txt"]
    );
    let e = cc
        .get_folder()
        .repository_name("folders")
        .folder_path("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e.into_service_error()), "FolderDoesNotExistException");

    // CreateCommit: deletes and moves that empty folders keep them with keepEmptyFolders.
    let c5 = cc
        .create_commit()
        .repository_name("folders")
        .branch_name("main")
        .parent_commit_id(&d3.commit_id)
        .put_files(
            PutFileEntry::builder()
                .file_path("p/q/one.txt")
                .file_content(Blob::new("1"))
                .build()
                .unwrap(),
        )
        .put_files(
            PutFileEntry::builder()
                .file_path("m/moved.txt")
                .file_content(Blob::new("m"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let c6 = cc
        .create_commit()
        .repository_name("folders")
        .branch_name("main")
        .parent_commit_id(c5.commit_id().unwrap())
        .keep_empty_folders(true)
        .delete_files(
            DeleteFileEntry::builder()
                .file_path("p/q/one.txt")
                .build()
                .unwrap(),
        )
        .put_files(
            PutFileEntry::builder()
                .file_path("moved.txt")
                .source_file(
                    aws_sdk_codecommit::types::SourceFileSpecifier::builder()
                        .file_path("m/moved.txt")
                        .is_move(true)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(c6.commit_id().unwrap().to_string()).await,
        [
            "a/b/c/.gitkeep",
            "m/.gitkeep",
            "moved.txt",
            "p/q/.gitkeep",
            "top.txt"
        ]
    );
    let added: Vec<&str> = c6
        .files_added()
        .iter()
        .filter_map(|f| f.absolute_path())
        .collect();
    assert!(added.contains(&"p/q/.gitkeep"), "{added:?}");
    // Deleting a folder's keep file is asking for the folder to go.
    let c7 = cc
        .create_commit()
        .repository_name("folders")
        .branch_name("main")
        .parent_commit_id(c6.commit_id().unwrap())
        .keep_empty_folders(true)
        .delete_files(
            DeleteFileEntry::builder()
                .file_path("m/.gitkeep")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(c7.commit_id().unwrap().to_string()).await,
        ["a/b/c/.gitkeep", "moved.txt", "p/q/.gitkeep", "top.txt"]
    );

    // ListTagsForResource: one page (a repository holds at most 50 tags), tokens checked.
    let arn = "arn:aws:codecommit:us-east-1:000000000000:folders";
    let tags = cc
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().unwrap().len(), 1);
    assert!(tags.next_token().is_none());
    let e = cc
        .list_tags_for_resource()
        .resource_arn(arn)
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e.into_service_error()),
        "InvalidContinuationTokenException"
    );
}
