package orgs

import _ "embed"

// openAPI is the plugin's fragment of the OpenAPI document.
//
//go:embed openapi.json
var openAPI []byte
