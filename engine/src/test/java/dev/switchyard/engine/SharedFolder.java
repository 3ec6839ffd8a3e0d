package dev.switchyard.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The project's shared data folder (real vocabularies, real chat templates), which tests use when it
 * is there and skip without: system property {@code switchyard.shared.dir} (Surefire sets it to
 * {@code <repo>/../shared}), else a {@code shared} folder beside the working directory or one of
 * its ancestors.
 */
public final class SharedFolder {

    private SharedFolder() {
    }

    /** The folder {@code name} inside the shared folder, when present. */
    public static Optional<Path> subfolder(String name) {
        List<Path> candidates = new ArrayList<>();
        String property = System.getProperty("switchyard.shared.dir");
        if (property != null && !property.isBlank()) {
            candidates.add(Path.of(property));
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            candidates.add(dir.resolve("shared"));
        }
        return candidates.stream()
                .map(p -> p.resolve(name).normalize())
                .filter(Files::isDirectory)
                .findFirst();
    }
}
