extension Span where Element == UInt8 {
    /// The bytes copied into an array, in one copy (an element-by-element append is ~10x slower).
    /// Here because it needs the span's buffer pointer: unsafe code stays in this directory.
    public var copiedBytes: [UInt8] {
        withUnsafeBufferPointer { Array($0) }
    }
}
