/**
 * A request's error in plain words. The live region is always rendered (empty when there is
 * no error) so screen readers announce the message the moment it appears.
 */
export function ErrorText({ message, id }: { message: string | null; id?: string }) {
  return (
    <p className="error-text" role="alert" id={id}>
      {message}
    </p>
  );
}
