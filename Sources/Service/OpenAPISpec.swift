enum OpenAPISpec {
    static let yaml = #"""
openapi: 3.0.3
info:
  title: virtaudit
  version: "1"
  description: |
    virtaudit audits the confinement of libvirt/qemu virtual machines and the hygiene of their
    host, and serves the latest scan over this API.

    Authentication: `Authorization: Bearer <token>`, tokens listed (as SHA-256 hashes) in the token
    file. A `read` token allows every GET under `/api/`; `POST /api/v1/scans` needs an `admin`
    token. When no token file is configured the service listens on loopback only and every
    loopback client has full access (an `Authorization` header is then still checked, and refused),
    but only under a loopback or configured (`allowed_hosts`) `Host` name, and `POST` only with
    `Content-Type: application/json` or an `X-Requested-With` header and no foreign `Origin` or
    `Sec-Fetch-Site` (else `403`): a web page in the admin's browser can neither rebind its name to
    the service nor send it a cross-site request. More than one `Authorization` header is `400`.
    `/healthz` needs no token.

    Results are served from the last complete scan. Cacheable responses carry a strong `ETag`;
    send it back in `If-None-Match` to get `304 Not Modified`. A method an endpoint does not
    support gets `405` with an `Allow` header; an unknown path under `/api/` gets `404`. Every
    error body has the shape of the `Error` schema.
  license:
    name: Apache-2.0
servers:
  - url: /
security:
  - bearerAuth: []
  - {}
tags:
  - name: results
    description: The last complete scan.
  - name: scans
    description: Starting scans and following them.
  - name: service
    description: Health and self-description.
  - name: history
    description: Scores over time, differences between scans, alert delivery (history database).
paths:
  /healthz:
    get:
      tags: [service]
      operationId: getHealth
      summary: Liveness and freshness of the results (no token needed).
      security: []
      responses:
        "200":
          description: The service is up.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Health"}
  /api/v1/summary:
    get:
      tags: [results]
      operationId: getSummary
      summary: Host score, domain counts by grade and state, failing findings by severity.
      responses:
        "200":
          description: The summary of the last scan.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Summary"}
        "304": {$ref: "#/components/responses/NotModified"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "503": {$ref: "#/components/responses/NoResults"}
  /api/v1/report:
    get:
      tags: [results]
      operationId: getReport
      summary: The whole last scan, as `virtaudit scan --format json` prints it.
      responses:
        "200":
          description: The complete scan report.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanReport"}
        "304": {$ref: "#/components/responses/NotModified"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "503": {$ref: "#/components/responses/NoResults"}
  /api/v1/domains:
    get:
      tags: [results]
      operationId: listDomains
      summary: Every domain with its score, grade, layer sub-scores and failing counts.
      parameters:
        - name: grade
          in: query
          description: Only domains with one of these grades (comma list, e.g. `D,F`).
          style: form
          explode: false
          schema:
            type: array
            minItems: 1
            items: {type: string, pattern: "^[A-Z][+-]?$"}
        - name: state
          in: query
          description: Only domains in one of these libvirt states (comma list, e.g. `running,paused`).
          style: form
          explode: false
          schema:
            type: array
            minItems: 1
            items: {type: string, pattern: "^[a-z][a-z-]*$"}
        - name: layer
          in: query
          description: Only domains with at least one failing finding in this layer.
          schema: {$ref: "#/components/schemas/Layer"}
        - name: q
          in: query
          description: Only domains whose name contains this text (case-insensitive).
          schema: {type: string}
        - name: sort
          in: query
          description: Order; a leading `-` sorts descending. Ties are ordered by name.
          schema:
            type: string
            enum: [name, -name, score, -score, grade, -grade, state, -state]
            default: name
      responses:
        "200":
          description: The matching domains.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/DomainList"}
          links:
            GetFirstDomain:
              operationId: getDomain
              parameters:
                id: "$response.body#/domains/0/uuid"
            GetFirstDomainFacts:
              operationId: getDomainFacts
              parameters:
                id: "$response.body#/domains/0/name"
        "304": {$ref: "#/components/responses/NotModified"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "503": {$ref: "#/components/responses/NoResults"}
  /api/v1/domains/{id}:
    get:
      tags: [results]
      operationId: getDomain
      summary: One domain's full report, with findings and facts.
      parameters:
        - $ref: "#/components/parameters/DomainId"
      responses:
        "200":
          description: The domain's report.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/DomainReport"}
        "304": {$ref: "#/components/responses/NotModified"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/NoResults"}
  /api/v1/domains/{id}/facts:
    get:
      tags: [results]
      operationId: getDomainFacts
      summary: One domain's fact tree (see Docs/facts/).
      parameters:
        - $ref: "#/components/parameters/DomainId"
      responses:
        "200":
          description: The domain's facts.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Facts"}
        "304": {$ref: "#/components/responses/NotModified"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/NoResults"}
  /api/v1/host:
    get:
      tags: [results]
      operationId: getHost
      summary: The host's report, with findings and facts.
      responses:
        "200":
          description: The host's report.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/HostReport"}
        "304": {$ref: "#/components/responses/NotModified"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "503": {$ref: "#/components/responses/NoResults"}
  /api/v1/findings:
    get:
      tags: [results]
      operationId: listFindings
      summary: The findings of every domain and of the host, each with its target.
      description: >-
        Host findings come first, then each domain's in scan order. Without filters every
        status is listed (use `status=fail` for what needs fixing).
      parameters:
        - name: severity
          in: query
          style: form
          explode: false
          schema:
            type: array
            minItems: 1
            items: {$ref: "#/components/schemas/Severity"}
        - name: layer
          in: query
          style: form
          explode: false
          schema:
            type: array
            minItems: 1
            items: {$ref: "#/components/schemas/Layer"}
        - name: status
          in: query
          style: form
          explode: false
          schema:
            type: array
            minItems: 1
            items: {$ref: "#/components/schemas/FindingStatus"}
        - name: target
          in: query
          description: Only findings of domains, or of the host.
          style: form
          explode: false
          schema:
            type: array
            minItems: 1
            items: {type: string, enum: [domain, host]}
        - name: rule
          in: query
          description: Rule id pattern; `*` matches any text, `?` one character (e.g. `mac.*`).
          schema: {type: string, minLength: 1}
        - name: domain
          in: query
          description: Only this domain's findings (UUID or name); host findings are left out.
          schema: {type: string, minLength: 1}
      responses:
        "200":
          description: The matching findings.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/FindingList"}
        "304": {$ref: "#/components/responses/NotModified"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "503": {$ref: "#/components/responses/NoResults"}
  /api/v1/policies:
    get:
      tags: [service]
      operationId: getPolicies
      summary: The loaded rules and profiles.
      responses:
        "200":
          description: Rules and profiles.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Policies"}
        "304": {$ref: "#/components/responses/NotModified"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
  /api/v1/scans:
    get:
      tags: [scans]
      operationId: listScans
      summary: Recent scans, newest first.
      parameters:
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 100, default: 20}
      responses:
        "200":
          description: Recent scan records.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanList"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
    post:
      tags: [scans]
      operationId: startScan
      summary: Starts a scan now (admin token), or returns the one already queued or running.
      description: >-
        Answers at once; follow `Location` (or `links.self`) until `state` is `done` or `failed`.
        A request body is not needed and is ignored. Without tokens the request needs
        `Content-Type: application/json` or an `X-Requested-With` header (403 otherwise).
      responses:
        "202":
          description: The scan that will produce the next results.
          headers:
            Location:
              description: The scan record's URL.
              required: true
              schema: {type: string}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanRecord"}
          links:
            GetScan:
              operationId: getScan
              parameters:
                id: "$response.body#/id"
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "503":
          description: This service instance does not run scans.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
  /api/v1/scans/{id}:
    get:
      tags: [scans]
      operationId: getScan
      summary: One scan's record.
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: string, minLength: 1}
      responses:
        "200":
          description: The scan record.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanRecord"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
  /api/v1/history:
    get:
      tags: [history]
      operationId: getHistory
      summary: Scores of the host or one VM over time, oldest first (from the history database).
      parameters:
        - name: target
          in: query
          description: "`host`, or a VM's uuid or name."
          schema: {type: string, pattern: "^[A-Za-z0-9_.:+-]{1,128}$", default: host}
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 5000, default: 500}
      responses:
        "200":
          description: The points.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/History"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
  /api/v1/diff:
    get:
      tags: [history]
      operationId: getDiff
      summary: What changed between two scans (default, the two newest) - new, resolved and changed findings.
      parameters:
        - name: from
          in: query
          schema: {type: string, pattern: "^[A-Za-z0-9-]{1,64}$"}
        - name: to
          in: query
          schema: {type: string, pattern: "^[A-Za-z0-9-]{1,64}$"}
      responses:
        "200":
          description: The differences.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanDiff"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
  /api/v1/alerts:
    get:
      tags: [history]
      operationId: listAlerts
      summary: Alerts in the outbox and their delivery state (pending, delivered, failed, expired).
      parameters:
        - name: state
          in: query
          schema: {type: string, enum: [pending, delivered, failed, expired]}
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 1000, default: 100}
      responses:
        "200":
          description: Newest first.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Alerts"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
  /api/v1/admissions:
    get:
      tags: [history]
      operationId: listAdmissions
      summary: Admission decisions of the qemu hook (virtaudit admit), newest first, with counts by decision and mode.
      parameters:
        - name: domain
          in: query
          description: Only this VM (name or uuid).
          schema: {type: string, pattern: "^[A-Za-z0-9_.:+-]{1,128}$"}
        - name: decision
          in: query
          schema: {type: string, enum: [admit, deny, would-deny, failed-open, failed-closed]}
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 1000, default: 100}
      responses:
        "200":
          description: Newest first.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Admissions"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
  /metrics:
    get:
      tags: [service]
      operationId: getMetrics
      summary: Prometheus metrics (text exposition format 0.0.4).
      responses:
        "200":
          description: Scores, grades, failing findings by severity and layer, scan duration, libvirt state, alert deliveries.
          content:
            text/plain:
              schema: {type: string}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
  /api/v1/openapi.yaml:
    get:
      tags: [service]
      operationId: getOpenAPIYAML
      summary: This document, as YAML.
      responses:
        "200":
          description: The OpenAPI document.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/yaml:
              schema: {type: object}
        "304": {$ref: "#/components/responses/NotModified"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
  /api/v1/openapi.json:
    get:
      tags: [service]
      operationId: getOpenAPIJSON
      summary: This document, as JSON.
      responses:
        "200":
          description: The OpenAPI document.
          headers:
            ETag: {$ref: "#/components/headers/ETag"}
          content:
            application/json:
              schema: {type: object}
        "304": {$ref: "#/components/responses/NotModified"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
components:
  securitySchemes:
    bearerAuth:
      type: http
      scheme: bearer
      description: A token made by `virtaudit token new`; its hash is in the token file.
  parameters:
    DomainId:
      name: id
      in: path
      required: true
      description: The domain's UUID (any case) or its name.
      schema: {type: string, minLength: 1}
  headers:
    ETag:
      description: Strong entity tag of the body; send it in `If-None-Match` to revalidate.
      schema: {type: string}
  responses:
    NotModified:
      description: The representation has not changed since the `If-None-Match` tag.
      headers:
        ETag: {$ref: "#/components/headers/ETag"}
    BadRequest:
      description: A query parameter has an invalid value; `error.parameter` names it.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    Unauthorized:
      description: No token, a malformed `Authorization` header, or an unknown token.
      headers:
        WWW-Authenticate:
          required: true
          schema: {type: string}
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    Forbidden:
      description: >-
        The token's role does not allow this (scans need `admin`), or, without tokens, a remote
        client, a `Host` that is not a name of this service, or a cross-site request.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    NotFound:
      description: No such domain or scan.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    PayloadTooLarge:
      description: The request body exceeds `limits.max_body_bytes`.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
    NoResults:
      description: No scan has completed yet.
      headers:
        Retry-After:
          schema: {type: integer}
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
  schemas:
    History:
      type: object
      required: [target, points]
      properties:
        target: {type: string}
        points:
          type: array
          items:
            type: object
            required: [scanId, at, score, grade, state, name, failing]
            properties:
              scanId: {type: string}
              at: {type: string}
              score: {type: integer}
              grade: {type: string}
              state: {type: string}
              name: {type: string}
              failing: {type: integer}
    StoredFinding:
      type: object
      required: [rule, status, severity, layer, title]
      properties:
        rule: {type: string}
        status: {type: string}
        severity: {type: string}
        layer: {type: string}
        title: {type: string}
    DiffChange:
      type: object
      required: [target, name, finding]
      properties:
        target: {type: string}
        name: {type: string}
        finding: {$ref: "#/components/schemas/StoredFinding"}
        previous: {$ref: "#/components/schemas/StoredFinding"}
    ScanDiff:
      type: object
      required: [from, to, fromAt, toAt, new, resolved, changed, scoreChanges, addedTargets, removedTargets]
      properties:
        from: {type: string}
        to: {type: string}
        fromAt: {type: string}
        toAt: {type: string}
        new: {type: array, items: {$ref: "#/components/schemas/DiffChange"}}
        resolved: {type: array, items: {$ref: "#/components/schemas/DiffChange"}}
        changed: {type: array, items: {$ref: "#/components/schemas/DiffChange"}}
        scoreChanges:
          type: array
          items:
            type: object
            properties:
              target: {type: string}
              name: {type: string}
              fromScore: {type: integer}
              toScore: {type: integer}
              fromGrade: {type: string}
              toGrade: {type: string}
        addedTargets: {type: array, items: {type: string}}
        removedTargets: {type: array, items: {type: string}}
    Alerts:
      type: object
      required: [alerts, counts, sinks]
      properties:
        alerts:
          type: array
          items:
            type: object
            required: [id, dedupeKey, sink, createdAt, payload, state, attempts, nextAttemptAt, expiresAt]
            properties:
              id: {type: integer}
              dedupeKey: {type: string}
              sink: {type: string}
              createdAt: {type: string}
              payload: {type: object}
              state: {type: string, enum: [pending, delivered, failed, expired]}
              attempts: {type: integer}
              nextAttemptAt: {type: string}
              lastError: {type: string}
              deliveredAt: {type: string}
              expiresAt: {type: string}
        counts:
          type: object
          additionalProperties: {type: integer}
        sinks: {type: array, items: {type: string}}
    Admissions:
      type: object
      required: [admissions, counts]
      properties:
        admissions:
          type: array
          items:
            type: object
            required: [id, at, hostname, actor, domain, operation, mode, decision, rules, waived, durationMs]
            properties:
              id: {type: integer}
              at: {type: string}
              hostname: {type: string}
              actor: {type: string, description: "The process that ran the hook (libvirtd[pid]) and its uid."}
              domain: {type: string}
              uuid: {type: string}
              operation: {type: string, description: "Hook operation and sub-operation, e.g. prepare begin."}
              mode: {type: string, enum: [enforce, warn, dryrun]}
              decision: {type: string, enum: [admit, deny, would-deny, failed-open, failed-closed]}
              rules:
                type: array
                description: The rules that denied (or would have).
                items:
                  type: object
                  properties:
                    rule: {type: string}
                    severity: {type: string}
                    layer: {type: string}
                    status: {type: string}
                    title: {type: string}
                    observed: {type: object}
                    remediation: {type: string}
                    reason: {type: string}
              waived: {type: array, items: {type: string}}
              failure: {type: string, description: "Why no verdict was reached (failed-open, failed-closed)."}
              durationMs: {type: number}
        counts:
          type: array
          items:
            type: object
            required: [decision, mode, count]
            properties:
              decision: {type: string}
              mode: {type: string}
              count: {type: integer}
    Error:
      type: object
      required: [error]
      properties:
        error:
          type: object
          required: [code, message]
          properties:
            code:
              type: string
              description: >-
                Machine-readable kind of error. The last group comes from the HTTP layer
                (malformed or oversized requests, connection limits).
              enum: [bad_request, unauthorized, forbidden, not_found, method_not_allowed,
                     content_too_large, no_results, scans_unavailable, internal_error,
                     request_timeout, uri_too_long, header_fields_too_large, not_implemented,
                     service_unavailable, http_version_not_supported, server_error, client_error]
            message: {type: string}
            parameter:
              type: string
              description: The offending query parameter (bad_request only).
    Layer:
      type: string
      enum: [qemu-sandbox, dac, namespaces, mac, seccomp, device-isolation, device-surface, resources, confidential, host]
    Severity:
      type: string
      enum: [critical, high, medium, low, info]
    FindingStatus:
      type: string
      enum: [pass, fail, unknown, waived, not-applicable]
    Facts:
      type: object
      description: A fact tree (plain JSON); paths are documented in Docs/facts/.
      additionalProperties: true
    LayerScore:
      type: object
      required: [score, pass, fail, unknown, waived, down]
      properties:
        score:
          type: integer
          minimum: 0
          maximum: 100
          nullable: true
          description: The layer's sub-score; null when no rule of the layer was decided (shown as "-"), never 100 for nothing checked.
        pass: {type: integer, minimum: 0}
        fail: {type: integer, minimum: 0}
        unknown: {type: integer, minimum: 0}
        waived: {type: integer, minimum: 0}
        down:
          type: boolean
          description: The layer counts as down (sub-score 0) because a breaks_layer rule of it failed or is unknown, or none of its weighted rules passed. See Docs/scoring.md.
    LayerScores:
      type: object
      description: Sub-score per layer, keyed by layer name.
      additionalProperties: {$ref: "#/components/schemas/LayerScore"}
    Score:
      type: object
      required: [score, grade, layers, layersStanding, layersTotal]
      properties:
        score: {type: integer, minimum: 0, maximum: 100}
        grade: {type: string}
        layers: {$ref: "#/components/schemas/LayerScores"}
        layersStanding:
          type: integer
          minimum: 0
          nullable: true
          description: Scored layers that are not down ("layers standing N of M"); null for a report recorded before this was kept.
        layersTotal:
          type: integer
          minimum: 0
          nullable: true
          description: Scored layers, those with at least one weighted rule decided; null for a report recorded before this was kept.
    SeverityCounts:
      type: object
      description: Failing findings per severity; every severity is present.
      required: [critical, high, medium, low, info]
      properties:
        critical: {type: integer, minimum: 0}
        high: {type: integer, minimum: 0}
        medium: {type: integer, minimum: 0}
        low: {type: integer, minimum: 0}
        info: {type: integer, minimum: 0}
    Finding:
      type: object
      required: [id, rule, layer, severity, status, observed, reason, pointsLost, waiver]
      properties:
        id:
          type: string
          nullable: true
          description: "Stable finding id (va1- and 32 hex digits) from the host id, the domain UUID (or host), the rule id and the subject; the same across scans and restarts. See Docs/pipeline-formats.md."
        rule: {type: string, description: "Rule id, e.g. dac.non-root-user."}
        layer: {$ref: "#/components/schemas/Layer"}
        severity: {$ref: "#/components/schemas/Severity"}
        status: {$ref: "#/components/schemas/FindingStatus"}
        observed:
          description: "The fact values the rule looked at, by path. The rule's texts (title, expected, remediation) are in the document's `rules` map (results format 2)."
        reason:
          type: string
          nullable: true
          description: Why the verdict is unknown, or the waiver's reason.
        pointsLost: {type: number, minimum: 0}
        waiver:
          type: object
          nullable: true
          additionalProperties: true
    Target:
      type: object
      required: [kind, name, uuid]
      properties:
        kind: {type: string, enum: [domain, host]}
        name: {type: string, description: Domain name or host name.}
        uuid: {type: string, nullable: true, description: The domain's UUID; null for the host.}
    TargetedFinding:
      allOf:
        - $ref: "#/components/schemas/Finding"
        - type: object
          required: [target]
          properties:
            target: {$ref: "#/components/schemas/Target"}
    FindingList:
      type: object
      required: [findings, count]
      properties:
        findings:
          type: array
          items: {$ref: "#/components/schemas/TargetedFinding"}
        count: {type: integer, minimum: 0}
    DomainReport:
      allOf:
        - $ref: "#/components/schemas/Score"
        - type: object
          required: [name, uuid, state, id, profile, facts, findings]
          properties:
            name: {type: string}
            uuid: {type: string}
            state: {type: string, description: "libvirt state: running, paused, shutoff, ..."}
            id: {type: integer, nullable: true, description: libvirt domain id while running.}
            profile: {type: string, description: The policy profile applied.}
            facts: {$ref: "#/components/schemas/Facts"}
            findings:
              type: array
              items: {$ref: "#/components/schemas/Finding"}
    DomainSummary:
      allOf:
        - $ref: "#/components/schemas/Score"
        - type: object
          required: [name, uuid, state, id, profile, failing, links]
          properties:
            name: {type: string}
            uuid: {type: string}
            state: {type: string}
            id: {type: integer, nullable: true}
            profile: {type: string}
            failing: {$ref: "#/components/schemas/SeverityCounts"}
            management: {$ref: "#/components/schemas/Management"}
            links:
              type: object
              required: [self]
              properties:
                self: {type: string}
    Management:
      type: object
      nullable: true
      description: Who manages the VM (Docs/facts/qemu-inventory.md); null for a report recorded before this was kept.
      required: [kind, pid, daemonPid, container, kubevirt]
      properties:
        kind:
          type: string
          enum: [libvirt, libvirt-namespaced, unmanaged]
          description: libvirt (the connected daemon), libvirt-namespaced (a libvirt daemon in another mount namespace), unmanaged (a qemu no visible libvirt lists).
        pid: {type: integer, nullable: true, description: The qemu's pid for a VM found from its process alone.}
        daemonPid: {type: integer, nullable: true, description: The managing daemon's pid when it runs in another mount namespace.}
        container:
          type: object
          nullable: true
          description: The container the qemu's cgroup path names.
          properties:
            runtime: {type: string}
            containerId: {type: string, nullable: true}
            podUid: {type: string, nullable: true}
        kubevirt: {type: boolean}
    DomainList:
      type: object
      required: [domains, count]
      properties:
        domains:
          type: array
          items: {$ref: "#/components/schemas/DomainSummary"}
        count: {type: integer, minimum: 0}
    HostReport:
      allOf:
        - $ref: "#/components/schemas/Score"
        - type: object
          required: [hostname, facts, findings]
          properties:
            hostname: {type: string}
            facts: {$ref: "#/components/schemas/Facts"}
            findings:
              type: array
              items: {$ref: "#/components/schemas/Finding"}
    LastScan:
      type: object
      required: [id, startedAt, finishedAt, durationMs]
      properties:
        id: {type: string}
        startedAt: {type: string}
        finishedAt: {type: string}
        durationMs: {type: number, minimum: 0}
    Summary:
      type: object
      required: [host, domains, failing, lastScan, stale, errors]
      properties:
        host:
          type: object
          required: [hostname, score, grade]
          properties:
            hostname: {type: string}
            score: {type: integer, minimum: 0, maximum: 100}
            grade: {type: string}
        domains:
          type: object
          required: [total, byGrade, byState]
          properties:
            total: {type: integer, minimum: 0}
            byGrade:
              type: object
              additionalProperties: {type: integer, minimum: 0}
            byState:
              type: object
              additionalProperties: {type: integer, minimum: 0}
        failing:
          type: object
          required: [domains, host, total]
          properties:
            domains: {$ref: "#/components/schemas/SeverityCounts"}
            host: {$ref: "#/components/schemas/SeverityCounts"}
            total: {$ref: "#/components/schemas/SeverityCounts"}
        lastScan: {$ref: "#/components/schemas/LastScan"}
        stale:
          type: boolean
          description: True when these are the last good results and newer scans failed.
        errors:
          type: array
          items: {type: string}
    ScanReport:
      type: object
      required: [version, scanId, startedAt, finishedAt, durationMs, connection, root, stale, errors, host, domains]
      properties:
        version: {type: integer}
        scanId: {type: string}
        startedAt: {type: string}
        finishedAt: {type: string}
        durationMs: {type: number, minimum: 0}
        connection: {type: string, description: libvirt URI.}
        root: {type: string, description: Root of the host file system read.}
        hostId:
          type: string
          nullable: true
          description: "The host's stable id: /etc/machine-id under the root, else hostname:<name>."
        stale: {type: boolean}
        errors:
          type: array
          items: {type: string}
        host: {$ref: "#/components/schemas/HostReport"}
        domains:
          type: array
          items: {$ref: "#/components/schemas/DomainReport"}
    ScanRecord:
      type: object
      required: [id, state, trigger, requestedAt, startedAt, finishedAt, error, persisted, persistError, result, links]
      properties:
        id: {type: string}
        state: {type: string, enum: [queued, running, done, failed]}
        trigger: {type: string, enum: [request, schedule, startup, event, reconnect]}
        requestedAt: {type: string, format: date-time}
        startedAt: {type: string, format: date-time, nullable: true}
        finishedAt: {type: string, format: date-time, nullable: true}
        error: {type: string, nullable: true}
        persisted:
          type: boolean
          nullable: true
          description: >-
            The scan is in the history database. Null until the scan is done and for failed
            scans; false while the write failed and the scan waits in memory to be written again
            (`persistError` says why); true once written, also when that happened later.
        persistError: {type: string, nullable: true}
        result:
          type: object
          nullable: true
          required: [scanId, domains, hostScore, hostGrade, failing, stale, errors]
          properties:
            scanId: {type: string}
            domains: {type: integer, minimum: 0}
            hostScore: {type: integer, minimum: 0, maximum: 100}
            hostGrade: {type: string}
            failing: {type: integer, minimum: 0}
            stale: {type: boolean}
            errors:
              type: array
              items: {type: string}
        links:
          type: object
          required: [self]
          properties:
            self: {type: string}
    ScanList:
      type: object
      required: [scans, count]
      properties:
        scans:
          type: array
          items: {$ref: "#/components/schemas/ScanRecord"}
        count: {type: integer, minimum: 0}
    Policies:
      type: object
      required: [rules, profiles]
      properties:
        rules:
          type: array
          items:
            type: object
            properties:
              id: {type: string}
              layer: {$ref: "#/components/schemas/Layer"}
              severity: {$ref: "#/components/schemas/Severity"}
              scope: {type: string, enum: [domain, host]}
              title: {type: string}
              check: {type: string}
              remediation: {type: string}
              references:
                type: array
                items: {type: string}
        profiles:
          description: The profiles (shape defined by the policy files).
    Health:
      type: object
      description: >-
        Always HTTP 200 while the process serves (liveness); `status` says whether the results
        can be trusted: `degraded`, with `reasons`, while libvirt is disconnected, the results
        are stale or scans are not reaching the history database.
      required: [status, reasons, libvirt, lastScan, stale, scanning, history]
      properties:
        status: {type: string, enum: [ok, degraded]}
        reasons:
          type: array
          description: Why the status is degraded (empty when ok).
          items: {type: string}
        libvirt:
          type: object
          required: [connected]
          properties:
            connected: {type: boolean}
        lastScan:
          type: object
          nullable: true
          required: [at, ageSeconds, id]
          properties:
            at: {type: string, description: When the scan finished.}
            ageSeconds: {type: integer, minimum: 0}
            id: {type: string}
        stale: {type: boolean}
        scanning: {type: boolean, description: A scan is queued or running.}
        history:
          type: object
          required: [pendingScans, error]
          properties:
            pendingScans: {type: integer, minimum: 0, description: Scans held in memory until the history database takes them.}
            error: {type: string, nullable: true, description: Why the last history write failed, while scans are pending.}
"""#
}
