//! The shipped data files (`migration-data/data/`), compiled in. A test checks that this list
//! matches the directory.

/// `(path relative to the data directory, text)` of every shipped file.
pub(super) const FILES: &[(&str, &str)] = &[
    ("dataset.yaml", include_str!("../../data/dataset.yaml")),
    (
        "distributions/almalinux.yaml",
        include_str!("../../data/distributions/almalinux.yaml"),
    ),
    (
        "distributions/centos.yaml",
        include_str!("../../data/distributions/centos.yaml"),
    ),
    (
        "distributions/ol.yaml",
        include_str!("../../data/distributions/ol.yaml"),
    ),
    (
        "distributions/rocky.yaml",
        include_str!("../../data/distributions/rocky.yaml"),
    ),
    (
        "events/el10.yaml",
        include_str!("../../data/events/el10.yaml"),
    ),
    (
        "events/el8.yaml",
        include_str!("../../data/events/el8.yaml"),
    ),
    (
        "events/el9.yaml",
        include_str!("../../data/events/el9.yaml"),
    ),
    ("paths.yaml", include_str!("../../data/paths.yaml")),
    (
        "repomaps/centos7-to-ol8.yaml",
        include_str!("../../data/repomaps/centos7-to-ol8.yaml"),
    ),
    (
        "repomaps/el7-to-el8.yaml",
        include_str!("../../data/repomaps/el7-to-el8.yaml"),
    ),
    (
        "repomaps/el8-conversions.yaml",
        include_str!("../../data/repomaps/el8-conversions.yaml"),
    ),
    (
        "repomaps/el8-to-el9.yaml",
        include_str!("../../data/repomaps/el8-to-el9.yaml"),
    ),
    (
        "repomaps/el9-conversions.yaml",
        include_str!("../../data/repomaps/el9-conversions.yaml"),
    ),
    (
        "repomaps/el9-to-el10.yaml",
        include_str!("../../data/repomaps/el9-to-el10.yaml"),
    ),
    (
        "repomaps/ol8-to-almalinux8.yaml",
        include_str!("../../data/repomaps/ol8-to-almalinux8.yaml"),
    ),
    (
        "repomaps/ol8-to-ol9.yaml",
        include_str!("../../data/repomaps/ol8-to-ol9.yaml"),
    ),
    (
        "vendors/epel.yaml",
        include_str!("../../data/vendors/epel.yaml"),
    ),
    (
        "vendors/mariadb.yaml",
        include_str!("../../data/vendors/mariadb.yaml"),
    ),
];
