from tsur.cli import main

main()
