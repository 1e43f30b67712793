from extraction.batch_client.cli import main

raise SystemExit(main())
