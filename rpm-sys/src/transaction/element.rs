//! The elements of a transaction: what was added, what to erase, and the processing order.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::header::PackageHeader;

/// An element added to the transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AddedElement {
    /// A package file to install.
    Install {
        /// The package file.
        path: PathBuf,
        /// Its header (identity, provides, files).
        header: PackageHeader,
        /// Whether it replaces installed versions of the same name (false for installonly
        /// packages such as kernels, which are installed beside the old ones).
        upgrade: bool,
    },
    /// An installed package to erase.
    Erase {
        /// Its rpmdb instance number.
        instance: u32,
        /// Its header as installed (identity, provides, files).
        header: PackageHeader,
    },
}

/// Which package to erase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraseTarget<'a> {
    /// Every installed package matching a label (`name`, `name-version-release`,
    /// `name-[epoch:]version-release.arch`), as `rpm -e` takes it.
    Label(&'a str),
    /// The installed package with this rpmdb instance number.
    Instance(u32),
}

/// Whether an ordered element installs or erases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    /// Installed from a file.
    Install,
    /// Erased (also the old versions an upgrade replaces).
    Erase,
}

/// One element in the order rpm will process it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedElement {
    /// Install or erase.
    pub kind: ElementKind,
    /// `name-[epoch:]version-release.arch`.
    pub nevra: String,
}
