from colibri.cli import main

main()
