import Foundation

/// Listing of the image files in a folder.
public enum ImageFolder {
    /// Lists the .png, .jpg and .jpeg files (any case) in `folder` and its subfolders, sorted by
    /// path in Unicode code point order, as the reference's sorted(make_dataset(dir)). Hidden
    /// files and folders (names starting with ".", such as macOS "._" resource forks) are
    /// skipped. A `folder` that is (or passes through) a symbolic link is followed, but links to
    /// folders inside it are not, as the reference's os.walk, so a link loop cannot recurse.
    /// Returned paths start with `folder` as given. Throws DatasetError.missingFolder when
    /// `folder` is not a folder.
    public static func imagePaths(in folder: String, domain: String = "") throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw DatasetError.missingFolder(domain: domain, path: folder)
        }
        // The enumerator does not follow a link at its root, so it lists the link's target.
        let target = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        guard let enumerator = FileManager.default.enumerator(atPath: target) else {
            throw DatasetError.missingFolder(domain: domain, path: folder)
        }
        let prefix = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeDirectory {
                    enumerator.skipDescendants()
                }
                continue
            }
            guard ImageDecoder.hasSupportedExtension(name) else { continue }
            let path = prefix + "/" + relative
            var isFolder: ObjCBool = false
            // fileExists follows symbolic links, so a link to an image counts as an image.
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
               !isFolder.boolValue {
                paths.append(path)
            }
        }
        return paths.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }
}
