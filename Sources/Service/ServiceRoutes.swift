import Core
import Foundation
import History
import HTTPServer
import Policy

/// The service's full route table: history, diff, alerts and metrics here (they need the
/// history database), everything else through `APIRouter`; then ETag/304 and gzip for all.
struct ServiceRoutes: NonBlockingHTTPHandler {
    weak var runtime: ServiceRuntime?
    let router: APIRouter
    let authenticator: Authenticator

    init(runtime: ServiceRuntime, router: APIRouter, authenticator: Authenticator) {
        self.runtime = runtime
        self.router = router
        self.authenticator = authenticator
    }

    static let extraPaths: Set<String> = ["/metrics", "/api/v1/history", "/api/v1/diff", "/api/v1/alerts", "/api/v1/admissions"]

    /// API answers come from memory (pre-encoded bodies) and are answered on the event loop;
    /// history, diff, alerts and metrics read SQLite, and static files read the disk: those go
    /// to the worker pool.
    func handleInline(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.path.hasPrefix("/api/") || request.path == "/healthz",
              !Self.extraPaths.contains(request.path) else { return nil }
        return handle(request)
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let response: HTTPResponse
        if Self.extraPaths.contains(request.path), let runtime {
            response = extra(request, runtime)
        } else {
            response = router.handle(request)
        }
        return ResponseHelpers.prepare(request: request, response: response)
    }

    private func extra(_ request: HTTPRequest, _ runtime: ServiceRuntime) -> HTTPResponse {
        guard request.method == "GET" else { return APIRouter.methodNotAllowed(["GET"]) }
        if case .failure(let failure) = authenticator.role(of: request) { return APIRouter.refusal(failure) }
        do {
            switch request.path {
            case "/metrics":
                return HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                                                                       ("Cache-Control", "no-store"),
                                                                       ("X-Content-Type-Options", "nosniff")]),
                                    body: Array(runtime.metrics().utf8))
            case "/api/v1/history":
                let target = try Self.parameter(request, "target", default: "host", pattern: "^[A-Za-z0-9_.:+-]{1,128}$")
                let limit = try Self.intParameter(request, "limit", default: 500, range: 1...5000)
                let points = try runtime.history.history(target: target, limit: limit)
                if points.isEmpty && target != "host" {
                    return APIRouter.error(404, "not_found", "no history for '\(target)'")
                }
                return APIRouter.json(200, ["target": .string(target), "points": try JSONValue(encoding: points)])
            case "/api/v1/diff":
                var from = request.query["from"], to = request.query["to"]
                for (name, value) in [("from", from), ("to", to)] {
                    if let v = value, v.range(of: "^[A-Za-z0-9-]{1,64}$", options: .regularExpression) == nil {
                        throw QueryError(parameter: name, message: "\(name) must be a scan id")
                    }
                }
                if from == nil || to == nil {
                    let ids = try runtime.history.latestScanIDs(2)
                    guard ids.count == 2 else {
                        return APIRouter.error(404, "not_found", "history holds fewer than two scans")
                    }
                    to = to ?? ids[0]
                    from = from ?? ids[1]
                }
                do {
                    return APIRouter.json(200, try JSONValue(encoding: try runtime.history.diff(from: from!, to: to!)))
                } catch HistoryError.notFound(let what) {
                    return APIRouter.error(404, "not_found", "\(what) not found in history")
                }
            case "/api/v1/alerts":
                let limit = try Self.intParameter(request, "limit", default: 100, range: 1...1000)
                var state: HistoryStore.DeliveryState?
                if let s = request.query["state"] {
                    guard let v = HistoryStore.DeliveryState(rawValue: s) else {
                        throw QueryError(parameter: "state", message: "state must be pending, delivered, failed or expired")
                    }
                    state = v
                }
                let entries = try runtime.history.alerts(limit: limit, state: state)
                let counts = try runtime.history.alertCounts()
                return APIRouter.json(200, [
                    "alerts": try JSONValue(encoding: entries),
                    "counts": .object(Dictionary(uniqueKeysWithValues: ["pending", "delivered", "failed", "expired"].map {
                        ($0, JSONValue.int(counts[HistoryStore.DeliveryState(rawValue: $0)!] ?? 0))
                    })),
                    "sinks": .array(runtime.dispatcher.sinks.map { .string($0.name) }),
                ])
            case "/api/v1/admissions":
                let limit = try Self.intParameter(request, "limit", default: 100, range: 1...1000)
                let domain = request.query["domain"] == nil ? nil
                    : try Self.parameter(request, "domain", default: "", pattern: "^[A-Za-z0-9_.:+-]{1,128}$")
                var decision: String?
                if let d = request.query["decision"] {
                    guard ["admit", "deny", "would-deny", "failed-open", "failed-closed"].contains(d) else {
                        throw QueryError(parameter: "decision", message: "decision must be admit, deny, would-deny, failed-open or failed-closed")
                    }
                    decision = d
                }
                let records = try runtime.history.admissions(limit: limit, domain: domain, decision: decision)
                let counts = try runtime.history.admissionCounts()
                return APIRouter.json(200, ["admissions": try JSONValue(encoding: records), "counts": try JSONValue(encoding: counts)])
            default:
                return APIRouter.error(404, "not_found", "no such path")
            }
        } catch let e as QueryError {
            return APIRouter.error(400, "bad_request", e.message, details: ["parameter": .string(e.parameter)])
        } catch {
            return APIRouter.error(500, "internal_error", "history database error")
        }
    }

    static func parameter(_ r: HTTPRequest, _ name: String, default d: String, pattern: String) throws -> String {
        guard let v = r.query[name] else { return d }
        guard v.range(of: pattern, options: .regularExpression) != nil else {
            throw QueryError(parameter: name, message: "invalid \(name)")
        }
        return v
    }

    static func intParameter(_ r: HTTPRequest, _ name: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        guard let v = r.query[name] else { return d }
        guard let n = Int(v), range.contains(n) else {
            throw QueryError(parameter: name, message: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }
}

/// The loaded policies as served by `GET /api/v1/policies`.
enum PolicyJSON {
    static func describe(_ p: PolicySet) -> JSONValue {
        [
            "rules": .array(p.rules.map { r in
                [
                    "id": .string(r.id), "layer": .string(r.layer.rawValue), "severity": .string(r.severity.rawValue),
                    "scope": .string(r.scope == .host ? "host" : "domain"), "title": .string(r.title),
                    "check": .string(r.check.source), "when": .from(r.when?.source), "expected": .string(r.expected),
                    "rationale": .string(r.rationale), "remediation": .string(r.remediation),
                    "references": .array(r.references.map { .string($0) }), "tags": .array(r.tags.map { .string($0) }),
                    "weight": .double(r.weight(at: r.severity)), "breaksLayer": .bool(r.breaksLayer),
                ]
            }),
            "profiles": .array(p.profiles.map { pr in
                ["name": .string(pr.name), "description": .string(pr.description), "default": .bool(pr.isDefault)]
            }),
        ]
    }
}
