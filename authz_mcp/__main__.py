from authz_mcp.cli import main

raise SystemExit(main())
