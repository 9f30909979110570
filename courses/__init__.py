"""The catalogue: themes, modules, learning paths, step blocks and competences."""
