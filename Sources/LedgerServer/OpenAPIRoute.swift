import Hummingbird

/// `GET /openapi.yaml`: the OpenAPI document of this API, unauthenticated like `/healthz` (it
/// describes the API, it holds no data).
///
/// The document is compiled into the binary (SwiftPM's `embedInCode` resource rule, which
/// generates `PackageResources.openapi_yaml`) rather than read at run time: the server then
/// serves exactly the document it was built with wherever the executable is copied, and there is
/// no resource bundle to lose (on Linux, `Bundle.module` traps when the bundle did not travel with
/// the executable). SwiftPM takes resources only from inside the target's directory, so
/// `Sources/LedgerServer/openapi.yaml` is a symlink to `Schemas/openapi.yaml`, the one copy to edit.
enum OpenAPIRoute {
    static func register(on router: Router<LedgerRequestContext>) {
        let document = ByteBuffer(bytes: PackageResources.openapi_yaml)
        router.get("/openapi.yaml") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: document))
        }
    }
}
