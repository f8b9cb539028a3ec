//! Package ecosystems: OSV's names and CVE 5's `collectionURL`s.

/// `(OSV ecosystem, CVE 5 collectionURL)` for the registries both name.
const REGISTRIES: [(&str, &str); 9] = [
    ("Go", "https://pkg.go.dev"),
    ("PyPI", "https://pypi.org"),
    ("npm", "https://www.npmjs.com"),
    ("crates.io", "https://crates.io"),
    ("Maven", "https://repo.maven.apache.org/maven2"),
    ("RubyGems", "https://rubygems.org"),
    ("Packagist", "https://packagist.org"),
    ("NuGet", "https://www.nuget.org"),
    ("Hex", "https://hex.pm"),
];

/// The ecosystems the OSV schema accepts (before an optional `:suffix`).
const OSV_ECOSYSTEMS: [&str; 50] = [
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Android",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "CleanStart",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "Docker Hardened Images",
    "Echo",
    "FreeBSD",
    "GHC",
    "GitHub Actions",
    "Go",
    "Hackage",
    "Hex",
    "Julia",
    "Kubernetes",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "opam",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "Root",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "TuxCare",
    "Ubuntu",
    "VSCode",
    "Wolfi",
    "GIT",
    "Ubuntu Pro",
];

/// The OSV ecosystem of a CVE 5 `collectionURL`, if it is a known registry.
pub(crate) fn from_collection_url(url: &str) -> Option<&'static str> {
    let url = url.trim_end_matches('/');
    REGISTRIES
        .iter()
        .find(|(_, u)| url.eq_ignore_ascii_case(u))
        .map(|(e, _)| *e)
}

/// The CVE 5 `collectionURL` of an ecosystem (or the URL itself).
pub(crate) fn collection_url(ecosystem: &str) -> Option<String> {
    if ecosystem.starts_with("http") {
        return Some(ecosystem.to_owned());
    }
    REGISTRIES
        .iter()
        .find(|(e, _)| *e == ecosystem)
        .map(|(_, u)| (*u).to_owned())
}

/// Whether OSV accepts `ecosystem` (`Debian:12` included).
pub(crate) fn is_osv(ecosystem: &str) -> bool {
    let base = ecosystem.split_once(':').map_or(ecosystem, |(b, _)| b);
    OSV_ECOSYSTEMS.contains(&base)
}
