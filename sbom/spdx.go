package sbom

// The SPDX 2.3 JSON model, reduced to the fields gorootimg writes. Field
// order is the order in the output; slices, not maps, keep it stable.

const (
	spdxVersion = "SPDX-2.3"
	noAssertion = "NOASSERTION"
	docID       = "SPDXRef-DOCUMENT"
	goPkgID     = "SPDXRef-Package-go-sdk"
	basePkgID   = "SPDXRef-Package-base-image"
	fsPkgID     = "SPDXRef-Package-file-system"
)

type document struct {
	SPDXVersion       string         `json:"spdxVersion"`
	DataLicense       string         `json:"dataLicense"`
	SPDXID            string         `json:"SPDXID"`
	Name              string         `json:"name"`
	DocumentNamespace string         `json:"documentNamespace"`
	CreationInfo      creationInfo   `json:"creationInfo"`
	DocumentDescribes []string       `json:"documentDescribes"`
	Packages          []pkg          `json:"packages"`
	Files             []file         `json:"files"`
	Relationships     []relationship `json:"relationships"`
}

type creationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
	Comment  string   `json:"comment,omitempty"`
}

type pkg struct {
	Name                    string            `json:"name"`
	SPDXID                  string            `json:"SPDXID"`
	VersionInfo             string            `json:"versionInfo,omitempty"`
	Supplier                string            `json:"supplier,omitempty"`
	DownloadLocation        string            `json:"downloadLocation"`
	FilesAnalyzed           bool              `json:"filesAnalyzed"`
	PackageVerificationCode *verificationCode `json:"packageVerificationCode,omitempty"`
	Checksums               []checksum        `json:"checksums,omitempty"`
	Homepage                string            `json:"homepage,omitempty"`
	SourceInfo              string            `json:"sourceInfo,omitempty"`
	LicenseConcluded        string            `json:"licenseConcluded"`
	LicenseDeclared         string            `json:"licenseDeclared"`
	CopyrightText           string            `json:"copyrightText"`
	Comment                 string            `json:"comment,omitempty"`
	ExternalRefs            []externalRef     `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose   string            `json:"primaryPackagePurpose,omitempty"`
	HasFiles                []string          `json:"hasFiles,omitempty"`
	Annotations             []annotation      `json:"annotations,omitempty"`
}

type verificationCode struct {
	Value string `json:"packageVerificationCodeValue"`
}

type checksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type externalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type annotation struct {
	Annotator string `json:"annotator"`
	Date      string `json:"annotationDate"`
	Type      string `json:"annotationType"`
	Comment   string `json:"comment"`
}

type file struct {
	FileName         string     `json:"fileName"`
	SPDXID           string     `json:"SPDXID"`
	FileTypes        []string   `json:"fileTypes,omitempty"`
	Checksums        []checksum `json:"checksums"`
	LicenseConcluded string     `json:"licenseConcluded"`
	CopyrightText    string     `json:"copyrightText"`
	Comment          string     `json:"comment,omitempty"`
}

type relationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
	Comment string `json:"comment,omitempty"`
}
