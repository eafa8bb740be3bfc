from dripcourse.cli import main

main()
