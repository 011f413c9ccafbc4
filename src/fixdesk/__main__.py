from fixdesk.cli import main

main()
