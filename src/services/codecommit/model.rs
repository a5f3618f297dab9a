//! CodeCommit wire types (requests and responses), with the model's member names. Required
//! members that the model marks optional (e.g. GetBranch's) are `Option` here, so the handlers
//! can answer the specific `...RequiredException`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws_enum;
use crate::protocol::Timestamp;

aws_enum!(FileMode {
    Executable = "EXECUTABLE",
    Normal = "NORMAL",
    Symlink = "SYMLINK",
});

impl FileMode {
    /// The git tree mode of the file mode.
    pub fn git_mode(&self) -> &'static str {
        match self {
            FileMode::Executable => "100755",
            FileMode::Symlink => "120000",
            _ => "100644",
        }
    }

    /// The file mode of a git tree mode.
    pub fn of_git(mode: &str) -> FileMode {
        match mode {
            "100755" => FileMode::Executable,
            "120000" => FileMode::Symlink,
            _ => FileMode::Normal,
        }
    }
}

aws_enum!(SortBy {
    RepositoryName = "repositoryName",
    LastModifiedDate = "lastModifiedDate",
});

aws_enum!(Order {
    Ascending = "ascending",
    Descending = "descending",
});

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryMetadata {
    pub account_id: String,
    pub repository_id: String,
    pub repository_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_branch: Option<String>,
    pub last_modified_date: Timestamp,
    pub creation_date: Timestamp,
    pub clone_url_http: String,
    pub clone_url_ssh: String,
    #[serde(rename = "Arn")]
    pub arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRepositoryInput {
    pub repository_name: Option<String>,
    pub repository_description: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryMetadataOutput {
    pub repository_metadata: RepositoryMetadata,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryNameInput {
    pub repository_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRepositoriesInput {
    pub next_token: Option<String>,
    pub sort_by: Option<SortBy>,
    pub order: Option<Order>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryNameIdPair {
    pub repository_name: String,
    pub repository_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRepositoriesOutput {
    pub repositories: Vec<RepositoryNameIdPair>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteRepositoryOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRepositoryNameInput {
    pub old_name: Option<String>,
    pub new_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRepositoryDescriptionInput {
    pub repository_name: Option<String>,
    pub repository_description: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Empty {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetRepositoriesInput {
    pub repository_names: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetRepositoriesError {
    pub repository_name: String,
    pub error_code: String,
    pub error_message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetRepositoriesOutput {
    pub repositories: Vec<RepositoryMetadata>,
    pub repositories_not_found: Vec<String>,
    pub errors: Vec<BatchGetRepositoriesError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceInput {
    pub resource_arn: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceInput {
    pub resource_arn: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceInput {
    pub resource_arn: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceOutput {
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchInput {
    pub repository_name: Option<String>,
    pub branch_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBranchInput {
    pub repository_name: Option<String>,
    pub branch_name: Option<String>,
    pub commit_id: Option<String>,
}

#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct BranchInfo {
    pub branch_name: String,
    pub commit_id: String,
}

#[derive(Debug, Serialize)]
pub struct GetBranchOutput {
    pub branch: BranchInfo,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBranchesInput {
    pub repository_name: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBranchesOutput {
    pub branches: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteBranchOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_branch: Option<BranchInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDefaultBranchInput {
    pub repository_name: Option<String>,
    pub default_branch_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetCommitInput {
    pub repository_name: Option<String>,
    pub commit_id: Option<String>,
}

#[derive(Debug, Serialize, Clone)]
pub struct UserInfo {
    pub name: String,
    pub email: String,
    pub date: String,
}

#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Commit {
    pub commit_id: String,
    pub tree_id: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author: UserInfo,
    pub committer: UserInfo,
    pub additional_data: String,
}

#[derive(Debug, Serialize)]
pub struct GetCommitOutput {
    pub commit: Commit,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetCommitsInput {
    pub repository_name: Option<String>,
    pub commit_ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetCommitsError {
    pub commit_id: String,
    pub error_code: String,
    pub error_message: String,
}

#[derive(Debug, Serialize)]
pub struct BatchGetCommitsOutput {
    pub commits: Vec<Commit>,
    pub errors: Vec<BatchGetCommitsError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetFileInput {
    pub repository_name: Option<String>,
    pub commit_specifier: Option<String>,
    pub file_path: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetFileOutput {
    pub commit_id: String,
    pub blob_id: String,
    pub file_path: String,
    pub file_mode: FileMode,
    pub file_size: u64,
    /// Base64, as the JSON protocol carries blobs.
    pub file_content: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetFolderInput {
    pub repository_name: Option<String>,
    pub commit_specifier: Option<String>,
    pub folder_path: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderEntry {
    pub tree_id: String,
    pub absolute_path: String,
    pub relative_path: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    pub blob_id: String,
    pub absolute_path: String,
    pub relative_path: String,
    pub file_mode: FileMode,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubModuleEntry {
    pub commit_id: String,
    pub absolute_path: String,
    pub relative_path: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetFolderOutput {
    pub commit_id: String,
    pub folder_path: String,
    pub tree_id: String,
    pub sub_folders: Vec<FolderEntry>,
    pub files: Vec<FileEntry>,
    pub symbolic_links: Vec<FileEntry>,
    pub sub_modules: Vec<SubModuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetBlobInput {
    pub repository_name: Option<String>,
    pub blob_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GetBlobOutput {
    pub content: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutFileInput {
    pub repository_name: Option<String>,
    pub branch_name: Option<String>,
    pub file_content: Option<String>,
    pub file_path: Option<String>,
    pub file_mode: Option<FileMode>,
    pub parent_commit_id: Option<String>,
    pub commit_message: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutFileOutput {
    pub commit_id: String,
    pub blob_id: String,
    pub tree_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteFileInput {
    pub repository_name: Option<String>,
    pub branch_name: Option<String>,
    pub file_path: Option<String>,
    pub parent_commit_id: Option<String>,
    pub keep_empty_folders: Option<bool>,
    pub commit_message: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteFileOutput {
    pub commit_id: String,
    pub blob_id: String,
    pub tree_id: String,
    pub file_path: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceFileSpecifier {
    pub file_path: Option<String>,
    pub is_move: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutFileEntry {
    pub file_path: Option<String>,
    pub file_mode: Option<FileMode>,
    pub file_content: Option<String>,
    pub source_file: Option<SourceFileSpecifier>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteFileEntry {
    pub file_path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetFileModeEntry {
    pub file_path: Option<String>,
    pub file_mode: Option<FileMode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCommitInput {
    pub repository_name: Option<String>,
    pub branch_name: Option<String>,
    pub parent_commit_id: Option<String>,
    pub author_name: Option<String>,
    pub email: Option<String>,
    pub commit_message: Option<String>,
    pub keep_empty_folders: Option<bool>,
    pub put_files: Option<Vec<PutFileEntry>>,
    pub delete_files: Option<Vec<DeleteFileEntry>>,
    pub set_file_modes: Option<Vec<SetFileModeEntry>>,
}

#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct FileMetadata {
    pub absolute_path: String,
    pub blob_id: String,
    pub file_mode: FileMode,
}

#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateCommitOutput {
    pub commit_id: String,
    pub tree_id: String,
    pub files_added: Vec<FileMetadata>,
    pub files_updated: Vec<FileMetadata>,
    pub files_deleted: Vec<FileMetadata>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDifferencesInput {
    pub repository_name: Option<String>,
    pub before_commit_specifier: Option<String>,
    pub after_commit_specifier: Option<String>,
    pub before_path: Option<String>,
    pub after_path: Option<String>,
    #[serde(rename = "MaxResults")]
    pub max_results: Option<i64>,
    #[serde(rename = "NextToken")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BlobMetadata {
    #[serde(rename = "blobId")]
    pub blob_id: String,
    pub path: String,
    pub mode: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_blob: Option<BlobMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_blob: Option<BlobMetadata>,
    pub change_type: String,
}

#[derive(Debug, Serialize)]
pub struct GetDifferencesOutput {
    pub differences: Vec<Difference>,
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
