import { AuthShell } from "@/components/app/auth-shell";
import { ButtonLink } from "@/components/ui/button";

export default function NotFound() {
  return (
    <AuthShell title="Page not found" subtitle="The page you're looking for doesn't exist or has moved.">
      <ButtonLink href="/" className="w-full" size="lg">
        Go to the app
      </ButtonLink>
    </AuthShell>
  );
}
