package main

// sbomFlagUsage is build's --sbom help text.
const sbomFlagUsage = `attach an SBOM to each platform's image: "spdx" (SPDX 2.3 JSON, as an OCI artifact whose subject is the image, pushed with --push, added to --oci-layout; FILE.spdx.json next to --tarball)`
