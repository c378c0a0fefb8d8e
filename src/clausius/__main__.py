"""`python -m clausius` is the same as the `clausius` command."""

from clausius.cli import main

if __name__ == "__main__":
    main()
